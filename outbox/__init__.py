"""The transactional outbox: every message that leaves Salvaguarda (e-mail, signed
webhooks) is a row written in the same transaction as the change that causes it, then
delivered by a relay that survives killed workers and lost broker messages (ADR 0010)."""
