#!/usr/bin/env python3
"""The web console in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium, against a live server.

usage: console_check.py BASE_URL ADMIN_TOKEN OUTBOX SHOTS_DIR

Signs in as a regular user, searches and pages the organizations, creates one (first
with a bad field, whose error must appear beside that field), invites a user, accepts the
invitation through the API, changes the new member's role, finds the change in the audit
trail, and signs out (the token is revoked). A screenshot of each page goes to SHOTS_DIR.
Any Content-Security-Policy violation or script error in the browser's console fails it.
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, ADMIN, OUTBOX, SHOTS = sys.argv[1:5]
os.makedirs(SHOTS, exist_ok=True)
PASSWORD = "console-ci-password"


def call(method, path, token=None, body=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)


# --- data through the API: the user who signs in, and enough organizations to page ---
status, ada = call("POST", "/v1/users", ADMIN, {
    "username": "ada", "password": PASSWORD, "email": "ada@example.com",
    "first_name": "Ada", "last_name": "Lovelace"})
assert status == 201, ada
status, login = call("POST", "/v1/auth/login", None, {"username": "ada", "password": PASSWORD})
assert status == 201, login
ada_api = login["token"]
names = ["Acme Robotics", "Blue Harbor Logistics", "Cedar Analytics", "Delta Foods",
         "Evergreen Energy", "Foxglove Studio", "Granite Works", "Harbor Health",
         "Indigo Labs", "Juniper Networks Guild", "Kestrel Aviation", "Lumen Optics",
         "Maple & Co", "Northwind Traders", "Orchid Biotech", "Pinecone Games",
         "Quartz Finance", "Riverbend School", "Summit Outdoor", "Tidewater Marine",
         "Umbra Security", "Vantage Media"]
for n in names:
    status, body = call("POST", "/v1/organizations", ada_api, {
        "name": n, "abbreviation": re.sub(r"[^A-Z]", "", n),
        "description": f"{n}: a sample organization."})
    assert status == 201, body

# --- the browser ---
opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
          "--window-size=1280,860", "--force-device-scale-factor=1", "--lang=en-US"]:
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                          options=opts)
# The console re-renders a page after each change: an element found a moment ago may be
# replaced; waits look again rather than fail.
wait = WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,))
shots = []


def shot(name):
    # The whole page, not just the viewport.
    height, chrome = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]")
    driver.set_window_size(1280, max(860, min(height + chrome + 8, 4000)))
    path = os.path.join(SHOTS, name + ".png")
    driver.save_screenshot(path)
    driver.set_window_size(1280, 860)
    shots.append(path)


def find(css):
    return wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def click(css, xpath=None):
    """Clicks the element `css` (or the `xpath` inside it), looking again if it was replaced."""
    def attempt(d):
        try:
            el = d.find_element(By.CSS_SELECTOR, css)
            if xpath:
                el = el.find_element(By.XPATH, xpath)
            if not el.is_enabled():
                return False
            el.click()
            return True
        except StaleElementReferenceException:
            return False
    wait.until(attempt)


def text_in(css, text):
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def check_console():
    # The API's own error answers (the wrong password's 401, the bad field's 400) are
    # logged as network errors: expected. Script errors and policy violations are not.
    bad = [e for e in driver.get_log("browser")
           if (e["level"] in ("SEVERE", "ERROR") and e.get("source") != "network")
           or "Content Security Policy" in e["message"] or "Refused" in e["message"]]
    assert not bad, "browser console: " + json.dumps(bad, indent=1)


try:
    driver.get(BASE + "/console/")
    find("#login-form")
    # A wrong password: the API's 401 is shown on the form.
    find("#login-form [name=username]").send_keys("ada")
    find("#login-form [name=password]").send_keys("not the password")
    click("#login-form button[type=submit]")
    find("#login-form .notice.error")
    shot("01-sign-in-error")
    pw = find("#login-form [name=password]")
    pw.clear()
    pw.send_keys(PASSWORD)
    driver.save_screenshot(os.path.join(SHOTS, "00-sign-in.png"))
    shots.append(os.path.join(SHOTS, "00-sign-in.png"))
    click("#login-form button[type=submit]")

    # Organizations: a page of 20, paging, search.
    find("#orgs tbody tr")
    text_in("#whoami", "Signed in as ada")
    text_in("#org-count", "22 organizations")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#orgs tbody tr")) == 20
    shot("02-organizations")
    click("#next-page")
    text_in("#org-count", "page 2 of 2")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#orgs tbody tr")) == 2
    box = find("#search-form [name=search]")
    box.clear()
    box.send_keys("harbor")
    click("#search-form button[type=submit]")
    text_in("#org-count", "2 organizations · page 1 of 1")
    rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#orgs tbody tr")]
    assert all("Harbor" in r for r in rows), rows
    shot("03-organizations-search")

    # Create an organization: a bad field first, its error beside it.
    click("#nav-new")
    find("#org-form [name=name]").send_keys("Console Test Org")
    find("#org-form [name=currency_code]").send_keys("E1")
    click("#org-form button[type=submit]")
    err = find("#org-form .field-error[data-field=currency_code]")
    # Beside the field it names: the error directly follows that input.
    follows = driver.execute_script(
        "return arguments[0].previousElementSibling.getAttribute('name')", err)
    assert follows == "currency_code", follows
    shot("04-new-organization-error")
    cur = find("#org-form [name=currency_code]")
    cur.clear()
    cur.send_keys("EUR")
    find("#org-form [name=abbreviation]").send_keys("CTO")
    find("#org-form [name=description]").send_keys("Created in a real browser by the CI console check.")
    click("#org-form button[type=submit]")
    text_in("#org-name", "Console Test Org")
    find("#members tbody tr[data-user=ada]")
    org_id = driver.current_url.split("#/orgs/")[1].split("/")[0]

    # Invite a user.
    click("#tab-invitations")
    find("#invite-form [name=email]").send_keys("bob@example.com")
    Select(find("#invite-form [name=role]")).select_by_value("viewer")
    click("#invite-form button[type=submit]")
    find("#invitations tbody tr[data-email='bob@example.com']")
    text_in("#invitations-status", "Invitation sent to bob@example.com")
    shot("05-invitations")

    # Accept through the API, with the token from the delivered link.
    for _ in range(50):
        lines = [json.loads(l) for l in open(OUTBOX)] if os.path.exists(OUTBOX) else []
        mine = [l for l in lines if l["email"] == "bob@example.com" and l["organization"] == org_id]
        if mine:
            break
        time.sleep(0.1)
    assert mine, "no invitation in the outbox"
    link = mine[-1]["link"]
    m = re.search(r"/invitations/([^/?#]+)/accept", link) or re.search(r"[?&]token=([^&#]+)", link) \
        or re.search(r"([^/?#=]+)/?$", link)
    token = urllib.request.unquote(m.group(1))
    status, body = call("POST", f"/v1/invitations/{token}/accept", None,
                        {"username": "bob", "password": "bob-password-123"})
    assert status in (200, 201), (status, body)

    # Change the new member's role.
    click("#tab-members")
    row = find("#members tbody tr[data-user=bob]")
    Select(row.find_element(By.CSS_SELECTOR, "select[name=role]")).select_by_value("admin")
    text_in("#members tbody tr[data-user=bob] .saved", "Saved")
    status, members = call("GET", f"/v1/organizations/{org_id}/members", ada_api)
    roles = {m["username"]: m["role"] for m in members["results"]}
    assert roles.get("bob") == "admin", roles
    shot("06-members")

    # A join request through the API, approved in the console; then removed there.
    status, dave = call("POST", "/v1/users", ADMIN, {"username": "dave", "password": "dave-password-123"})
    assert status == 201, dave
    status, login = call("POST", "/v1/auth/login", None, {"username": "dave", "password": "dave-password-123"})
    assert status == 201, login
    status, req = call("POST", f"/v1/organizations/{org_id}/members", login["token"], {"user": dave["id"]})
    assert status == 201 and req["status"] == "pending", (status, req)
    driver.refresh()
    text_in("#members tbody tr[data-user=dave]", "pending")
    click("#members tbody tr[data-user=dave]", ".//button[text()='Approve']")
    text_in("#members tbody tr[data-user=dave]", "approved")
    click("#members tbody tr[data-user=dave] button.danger")
    text_in("#members tbody tr[data-user=dave] button.danger", "Confirm remove")
    click("#members tbody tr[data-user=dave] button.danger")
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#members tbody tr[data-user=dave]"))
    status, _ = call("GET", f"/v1/organizations/{org_id}/members/{dave['id']}", ada_api)
    assert status == 404, status

    # A second invitation: resent, then revoked.
    click("#tab-invitations")
    find("#invite-form [name=email]").send_keys("carol@example.com")
    click("#invite-form button[type=submit]")
    click("#invitations tbody tr[data-email='carol@example.com']", ".//button[text()='Resend']")
    text_in("#invitations-status", "sent again")
    click("#invitations tbody tr[data-email='carol@example.com'] button.danger")
    text_in("#invitations tbody tr[data-email='carol@example.com'] button.danger", "Confirm revoke")
    click("#invitations tbody tr[data-email='carol@example.com'] button.danger")
    text_in("#invitations tbody tr[data-email='carol@example.com']", "revoked")
    # A bad email: the API's error beside the email field.
    find("#invite-form [name=email]").send_keys("not-an-email")
    click("#invite-form button[type=submit]")
    find("#invite-form .field-error[data-field=email]")
    shot("07-invitations-revoked")

    # The audit trail shows the change.
    click("#tab-activity")
    heading = find("#tab-body h2")
    assert heading.text == "Audit trail", heading.text
    find("#activity tbody tr")
    text_in("#activity", "viewer → admin")
    shot("08-audit-trail")

    # Sign out: the token is revoked, the sign-in form is back.
    stored = driver.execute_script("return sessionStorage.getItem('orgreg.token')")
    assert stored and stored.startswith("org_"), stored
    click("#sign-out")
    find("#login-form")
    text_in("#app", "You are signed out.")
    assert driver.execute_script("return sessionStorage.getItem('orgreg.token')") is None
    status, _ = call("GET", "/v1/me", stored)
    assert status == 401, f"the console's token still works after signing out ({status})"
    shot("09-signed-out")
    check_console()
except (TimeoutException, AssertionError):
    shot("failure")
    print("browser log:", json.dumps(driver.get_log("browser"), indent=1))
    print("page:", driver.find_element(By.TAG_NAME, "body").text[:2000])
    raise
finally:
    driver.quit()

print(f"console: flow passed in headless Chromium; {len(shots)} screenshots in {SHOTS}")
