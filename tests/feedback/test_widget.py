"""The embeddable widget: a static, dependency-free script and its demo page."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_script_is_served_as_javascript(client):
    response = client.get("/static/feedback/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert b"attachShadow" in b"".join(response.streaming_content)


def test_the_script_posts_json_to_the_intake_api_of_its_own_origin():
    script = Path(finders.find("feedback/widget.js")).read_text()

    assert 'new URL("/api/v1/feedback/", script.src)' in script
    assert '"Content-Type": "application/json"' in script
    assert '"Idempotency-Key": key' in script
    assert 'channel: "widget"' in script
    assert "import " not in script and "require(" not in script  # no dependencies


def test_the_demo_page_embeds_the_script(client):
    html = client.get("/feedback/widget/").content.decode()

    assert '<script src="/static/feedback/widget.js" data-touchpoint="website_visit"' in html
