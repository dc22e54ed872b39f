"""The header's language switch, in a browser: choosing 简体中文 reloads the page in Chinese,
the page's scripts speak it too (their strings come from /jsi18n/), and choosing English
brings it back."""

import pytest
from playwright.sync_api import expect

from tests.factories import example_record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_header_switches_to_chinese_and_back(login_page, live_server, owner):
    generation_id = store(example_record())[0].generation_id
    page = login_page("owner")
    page.goto(f"{live_server.url}/logs/{generation_id}/")
    header = page.locator("header.topbar")
    with page.expect_navigation():
        header.get_by_label("Language").select_option(label="简体中文")
    # The same page, in Chinese, the lang attribute following.
    assert page.url.endswith(f"/logs/{generation_id}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(header.get_by_role("link", name="日志", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="性能指标")).to_be_visible()
    # A string app.js writes: from the JavaScript catalogue.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("copy-raw-metadata").click()
    expect(page.get_by_test_id("copy-raw-metadata")).to_have_text("已复制")

    with page.expect_navigation():
        page.locator("header.topbar").get_by_label("语言").select_option(label="English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Performance Metrics")).to_be_visible()
