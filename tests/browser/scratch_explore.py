import re

from playwright.sync_api import expect

from services import care
from tests.browser.conftest import assert_accessible
from tests.helpers import PASSWORD, Factory

LONG = "s" + "o" * 160


def login(page, base, email, home):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + home)


def test_explore(live_server, phone, browser):
    base, app = live_server.url, live_server.app
    f = Factory(app)
    pair = f.pair()
    f.reveal(pair, f"Alex {LONG} answer", "Sam's answer\nwith a line")
    t = f.user("Dr Rivera", role="therapist")
    with f.session():
        code = care.link_code(f.load(t))
        link = care.link_by_code(f.load(pair.a), code).id
        care.consent(f.load(pair.a), link, "conversations")
        care.consent(f.load(pair.b), link, "conversations")
    dev = phone("t")
    p = dev.page
    login(p, base, t.email, "/therapist/")
    p.goto(f"{base}/therapist/couples/{link}")
    p.get_by_label("A prompt from the library").select_option(index=3)
    p.get_by_label("A note to the couple (optional)").fill("Note " + LONG)
    p.get_by_role("button", name="Assign").click()
    print("after assign", p.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]"))
    p.screenshot(path="/tmp/scratch/after-assign.png", full_page=True)
    p.get_by_label("Private note", exact=True).fill("Private " + LONG)
    p.get_by_role("button", name="Save note").click(force=True)
    expect(p).to_have_url(re.compile("#notes$"))
    results = []
    for path in [
        "/therapist/",
        f"/therapist/couples/{link}",
        f"/therapist/couples/{link}/conversations/{pair.first_prompt_id}",
    ]:
        for scheme in ("light", "dark"):
            p.emulate_media(color_scheme=scheme)
            p.goto(base + path)
            sw = p.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            try:
                assert_accessible(p, path + " " + scheme)
                results.append((path, scheme, sw, "ok"))
            except BaseException as e:
                results.append((path, scheme, sw, str(e)))
            p.screenshot(path=f"/tmp/scratch/{path.replace('/', '_')}-{scheme}.png", full_page=True)
    a = phone("a")
    login(a.page, base, pair.a.email, "/today")
    for path in [
        "/settings",
        f"/settings/therapists/{link}",
        "/account/confirm",
        "/checkin",
        "/account",
        "/account/data",
        "/account/delete",
        "/safety",
    ]:
        for scheme in ("light", "dark"):
            a.page.emulate_media(color_scheme=scheme)
            a.page.goto(base + path)
            sw = a.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            try:
                assert_accessible(a.page, path + " " + scheme)
                results.append((path, scheme, sw, "ok"))
            except BaseException as e:
                results.append((path, scheme, sw, str(e)))
            a.page.screenshot(path=f"/tmp/scratch/a{path.replace('/', '_')}-{scheme}.png", full_page=True)
    a.page.emulate_media(color_scheme="light")
    a.page.goto(base + "/settings")
    a.page.locator("section[aria-labelledby=therapists-title]").screenshot(path="/tmp/scratch/settings-section.png")
    p.emulate_media(color_scheme="light")
    p.goto(f"{base}/therapist/couples/{link}")
    p.locator("section[aria-labelledby=assign-title]").screenshot(path="/tmp/scratch/assign-section.png")
    p.locator("section[aria-labelledby=progress-title] dl").screenshot(path="/tmp/scratch/facts.png")
    print(p.get_by_role("button", name=re.compile("^Remove the assignment")).get_attribute("aria-label"))
    for r in results:
        print(r)
    print(dev.problems, a.problems)
