"""``make bench``: latency, query counts and memory of the case list and case page.

Prints figures and ratios; it has no timing thresholds. It exits 1 only when a hard
invariant breaks: a query count that grows with the page size (list endpoints) or with
the size of the case (case page, API and web), or a page that needs more queries per
request than its ceiling (``bench.queries.QUERY_CEILINGS``). See ``docs/bench.md``.

What it does, in one process, with Django's test ``Client`` (no network):

1. creates a throwaway database (``salvaguarda_bench`` on the server ``DATABASE_URL``
   names, or the embedded PostgreSQL when it is unset), migrates it, loads the
   Almendralejo scenario and adds ``--scale`` cases per school through the services
   (each with a victim, an alleged perpetrator, evidence and a referral to the police),
   plus a small case (one of everything) and a big case (``--big`` of everything);
2. times ``--requests`` GETs (after ``--warmup``) of the case list, the case page
   (API and web) and the police referral inbox, against a bare DRF view with the same
   authentication and middleware, mounted by a bench-only urlconf;
3. counts queries for 1 row vs a full page, and for the small vs the big case;
4. measures memory on the case-page loop (peak RSS, tracemalloc) and, in a fresh child
   process, ``cases.hashing.hash_stream`` on a generated 12-megapixel JPEG;
5. drops the database, also on error, Ctrl-C or SIGTERM.

Referral notices are not queued on the broker: the bench forces eager Celery tasks and
the in-memory e-mail backend, so a worker of the real database never sees them.

One module per concern:

- ``cli``: arguments, the order of the steps, the environment (``main``);
- ``database``: the throwaway database;
- ``world``: the data, built with the factories the tests use (``tests.factories``);
- ``urls``: the bench-only urlconf with the bare DRF view;
- ``client``: signed-in test clients, one timed or counted GET;
- ``queries``: query counts (growth with size, ceilings);
- ``timing``: the latency table;
- ``memory``: RSS and tracemalloc around the web case page;
- ``hashing``: ``hash_stream`` in a child process;
- ``report``: percentiles and plain-text tables.

Run: ``DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python -m bench`` from the
repository root (``make bench``), with the development dependencies installed.
"""
