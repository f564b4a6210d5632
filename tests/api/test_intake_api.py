"""Hash-only intake over HTTP: ``cases/{id}/evidence/upload/`` and ``hash/``.

Personas: the case's safeguarding lead (may record), the lead of another school and
staff of the same school (404: they cannot know the case exists), the police liaison
holding a live referral (may read, not write: 403), anonymous (401).
"""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test.client import encode_multipart
from django.urls import reverse

from cases.hashing import hash_stream
from cases.models import CaseEvent, EvidenceItem
from tests.conftest import client_for
from tests.intake_files import MP4_HEAD, noisy_png, png_bytes, png_declaring

pytestmark = pytest.mark.django_db

BOUNDARY = "IntakeBoundary7"
NOT_IMAGE_EN = "The file is not an image or video."
NOT_IMAGE_ES = "El fichero no es una imagen ni un vídeo."


def upload_url(case_id) -> str:
    return reverse("api:evidence-upload", kwargs={"case_id": case_id})


def a_file(content: bytes, name: str = "evidence.bin", content_type="application/octet-stream"):
    f = BytesIO(content)
    f.name = name
    return f


def metadata(**overrides):
    data = {
        "platform": "whatsapp",
        "location": "Grupo «3ºB» de WhatsApp",
        "identifiers": '{"group_invite_link": "https://chat.whatsapp.com/AbCdEf"}',
        "first_seen_at": "2023-09-18T08:30:00+02:00",
        "seen_by": "Tutora de 3ºB",
        "description": "Imagen manipulada de una alumna, reenviada en el grupo.",
    }
    data.update(overrides)
    return data


def post_upload(client, case_id, content, lang="en", **fields):
    return client.post(
        upload_url(case_id),
        {"file": a_file(content), **metadata(**fields)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def counts():
    return EvidenceItem.objects.count(), CaseEvent.objects.count()


def test_a_lead_records_evidence_from_an_image_with_its_hashes(case_a, lead_a):
    content = png_bytes(text={"Comment": "harmless test picture"})
    expected = hash_stream(BytesIO(content), max_bytes=len(content))

    response = post_upload(client_for(lead_a), case_a.pk, content)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert "file" not in body
    assert body["case"] == case_a.pk
    assert body["kind"] == "image"
    assert body["platform"] == "whatsapp"
    assert body["identifiers"] == {"group_invite_link": "https://chat.whatsapp.com/AbCdEf"}
    assert (body["sha256"], body["md5"], body["pdq"], body["pdq_quality"]) == (
        expected.sha256,
        expected.md5,
        expected.pdq,
        expected.pdq_quality,
    )
    item = EvidenceItem.objects.get(pk=body["id"])
    assert (item.sha256, item.pdq, item.recorded_by) == (expected.sha256, expected.pdq, lead_a)
    assert CaseEvent.objects.filter(case=case_a, verb="evidence.recorded").count() == 1
    assert response["Cache-Control"] == "no-store"


def test_a_video_is_recorded_with_sha256_and_md5_only(case_a, lead_a):
    response = post_upload(client_for(lead_a), case_a.pk, MP4_HEAD + bytes(2048))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "video"
    assert body["pdq"] == "" and body["pdq_quality"] is None
    assert len(body["sha256"]) == 64


def test_a_given_kind_is_kept(case_a, lead_a):
    response = post_upload(client_for(lead_a), case_a.pk, png_bytes(), kind="message")
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "message"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"Querida familia: la reunion es el lunes.\n", id="text"),
        pytest.param(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", id="pdf"),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, id="zip"),
    ],
)
def test_a_file_that_is_not_an_image_or_video_is_refused_and_nothing_written(
    case_a, lead_a, content
):
    before = counts()

    response = post_upload(client_for(lead_a), case_a.pk, content)

    assert response.status_code == 400
    assert response.json()["file"][0].startswith(NOT_IMAGE_EN)
    assert counts() == before


def test_an_image_bomb_is_refused_and_nothing_written(case_a, lead_a):
    before = counts()

    response = post_upload(client_for(lead_a), case_a.pk, png_declaring(60_000, 60_000))

    assert response.status_code == 400
    assert "pixels" in response.json()["file"][0]
    assert counts() == before


def test_an_undecodable_image_is_refused(case_a, lead_a):
    content = png_bytes(size=(64, 64))
    response = post_upload(client_for(lead_a), case_a.pk, content[: len(content) // 2])
    assert response.status_code == 400
    assert "decoded" in response.json()["file"][0]


def test_a_request_over_the_memory_limit_is_refused(case_a, lead_a, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 4096
    before = counts()

    response = post_upload(client_for(lead_a), case_a.pk, noisy_png(size=(64, 64)))

    assert response.status_code == 400
    assert "larger than" in response.json()["file"][0]
    assert counts() == before


def test_a_request_of_exactly_the_memory_limit_is_taken_one_byte_less_is_not(
    case_a, lead_a, settings
):
    """Django keeps a file in memory while the request is at most
    ``FILE_UPLOAD_MAX_MEMORY_SIZE``: the intake refuses from one byte over it."""
    body = encode_multipart(BOUNDARY, {"file": a_file(png_bytes(), "e.png"), **metadata()})
    client = client_for(lead_a)

    def post():
        return client.post(
            upload_url(case_a.pk),
            data=body,
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = len(body) - 1
    before = counts()
    assert post().status_code in (400, 413)
    assert counts() == before
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = len(body)
    assert post().status_code == 201


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"identifiers": "{not json"}, "identifiers"),
        ({"identifiers": '["a", "b"]'}, "identifiers"),
        ({"identifiers": '{"handle": 7}'}, "identifiers"),
        ({"platform": "myspace"}, "platform"),
        ({"kind": "hologram"}, "kind"),
        ({"first_seen_at": "2999-01-01T00:00:00Z"}, "first_seen_at"),
        ({"first_seen_at": "ayer"}, "first_seen_at"),
        ({"seen_by": "x" * 201}, "seen_by"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_bad_metadata_gets_field_errors_and_nothing_written(case_a, lead_a, fields, field):
    before = counts()

    response = post_upload(client_for(lead_a), case_a.pk, png_bytes(), **fields)

    assert response.status_code == 400
    assert field in response.json()
    assert counts() == before


def test_a_missing_file_is_a_field_error(case_a, lead_a):
    response = client_for(lead_a).post(
        upload_url(case_a.pk), metadata(), format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_json_instead_of_multipart_is_refused(case_a, lead_a):
    response = client_for(lead_a).post(upload_url(case_a.pk), metadata(), format="json")
    assert response.status_code == 415


def test_another_schools_case_is_not_found(case_a, lead_b):
    before = counts()
    response = post_upload(client_for(lead_b), case_a.pk, png_bytes())
    assert response.status_code == 404
    assert counts() == before


def test_an_unknown_case_is_not_found(case_a, lead_a):
    response = post_upload(client_for(lead_a), case_a.pk + 10_000, png_bytes())
    assert response.status_code == 404


def test_staff_cannot_see_the_case_so_it_is_not_found(case_a, staff_a):
    response = post_upload(client_for(staff_a), case_a.pk, png_bytes())
    assert response.status_code == 404


def test_a_police_liaison_who_may_read_the_case_may_not_record_evidence(case_a, referral_a, police):
    before = counts()

    response = post_upload(client_for(police), case_a.pk, png_bytes())

    assert response.status_code == 403
    assert counts() == before


def test_a_police_liaison_without_a_referral_gets_not_found(case_a, other_police):
    response = post_upload(client_for(other_police), case_a.pk, png_bytes())
    assert response.status_code == 404


def test_anonymous_is_refused(case_a):
    response = post_upload(client_for(None), case_a.pk, png_bytes())
    assert response.status_code == 401


def test_errors_come_in_spanish(case_a, lead_a):
    response = post_upload(client_for(lead_a), case_a.pk, b"hola, esto es texto", lang="es")

    assert response.status_code == 400
    assert response["Content-Language"] == "es"
    assert response.json()["file"][0].startswith(NOT_IMAGE_ES)


def test_errors_come_in_english(case_a, lead_a):
    response = post_upload(client_for(lead_a), case_a.pk, b"hello, this is text", lang="en")

    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    assert response.json()["file"][0].startswith(NOT_IMAGE_EN)


def test_framework_field_errors_are_translated_too(case_a, lead_a):
    response = client_for(lead_a).post(
        upload_url(case_a.pk),
        {"file": a_file(png_bytes())},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 400
    assert response.json()["first_seen_at"] == ["Este campo es requerido."]


# --- hash/ -----------------------------------------------------------------------------


def post_hash(client, content, lang="en"):
    return client.post(
        reverse("api:hash"),
        {"file": a_file(content)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE=lang,
    )


@pytest.mark.parametrize("persona", ["lead_a", "staff_a", "head_a"])
def test_school_members_can_hash_a_file_and_nothing_is_recorded(request, case_a, persona):
    user = request.getfixturevalue(persona)
    content = png_bytes()
    expected = hash_stream(BytesIO(content), max_bytes=len(content))
    before = counts()

    response = post_hash(client_for(user), content)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "sha256": expected.sha256,
        "md5": expected.md5,
        "pdq": expected.pdq,
        "pdq_quality": expected.pdq_quality,
        "content_kind": "image",
        "size_bytes": len(content),
    }
    assert counts() == before


def test_hash_refuses_a_text_file(lead_a):
    response = post_hash(client_for(lead_a), b"just some text", lang="es")
    assert response.status_code == 400
    assert response.json()["file"][0].startswith(NOT_IMAGE_ES)


def test_hash_is_for_school_members_only(police):
    response = post_hash(client_for(police), png_bytes())
    assert response.status_code == 403


def test_hash_needs_a_login(db):
    response = post_hash(client_for(None), png_bytes())
    assert response.status_code == 401
