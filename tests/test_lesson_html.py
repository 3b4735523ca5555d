"""A lesson's `text` is kept to an allow-list of HTML: no payload that runs or loads code survives into `html`."""

from html.parser import HTMLParser

import pytest

from api.rules.lesson_html import sanitise
from tests.support.http import course_url
from tests.support.tokens import auth

# Payloads that try to run script, load something, or restyle the page, by the route they take.
PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "script-src": '<script src="https://evil.example/x.js"></script>',
    "script-split": "<scr<script>ipt>alert(1)</script>",
    "script-nested": "<<script>script>alert(1)<</script>/script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-eval": "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "a-onclick": '<a href="https://ok.example/" onclick="alert(1)">x</a>',
    "body-onload": "<body onload=alert(1)>",
    "details-ontoggle": "<details open ontoggle=alert(1)>x</details>",
    "p-onmouseover-uppercase": '<p ONMOUSEOVER="alert(1)">x</p>',
    "video-source-onerror": "<video><source onerror=alert(1)></video>",
    "javascript-href": '<a href="javascript:alert(1)">x</a>',
    "javascript-mixed-case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "javascript-entity": '<a href="&#106;avascript:alert(1)">x</a>',
    "javascript-hex-entity": '<a href="&#x6A;&#x61;vascript:alert(1)">x</a>',
    "javascript-tab": '<a href="java\tscript:alert(1)">x</a>',
    "javascript-leading-space": '<a href="  javascript:alert(1)">x</a>',
    "javascript-img-src": '<img src="javascript:alert(1)">',
    "javascript-srcset": '<img srcset="javascript:alert(1) 1x">',
    "javascript-form-action": '<form action="javascript:alert(1)"><input type=submit></form>',
    "javascript-formaction": "<button formaction=javascript:alert(1)>x</button>",
    "javascript-background": '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "vbscript-href": '<a href="vbscript:msgbox(1)">x</a>',
    "data-href": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "data-img": '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "svg-animate": '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
    "math": '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "style-attribute": '<p style="color: red">x</p>',
    "style-expression": '<p style="width: expression(alert(1))">x</p>',
    "style-url": '<div style="background:url(javascript:alert(1))">x</div>',
    "style-behavior": '<div style="behavior: url(x.htc)">x</div>',
    "style-element": "<style>body { background: url(javascript:alert(1)) }</style>",
    "style-import": "<style>@import 'https://evil.example/x.css';</style>",
    "link-stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="https://evil.example/x.swf"></object>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": '<base href="javascript:alert(1)//">',
    "template": "<template><img src=x onerror=alert(1)></template>",
}

FORBIDDEN_TAGS = {
    "script", "style", "svg", "math", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
    "input", "button", "link", "meta", "base", "template", "noscript", "video", "audio", "source", "animate",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "background", "poster", "data", "xlink:href"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Elements(HTMLParser):
    """Every start tag of a fragment with its attributes, entities decoded as a browser would."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def elements(html):
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_harmless(html):
    """Nothing in `html` can run, load script, or style the page."""
    for tag, attrs in elements(html):
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in URL_ATTRIBUTES and value is not None:
                # Browsers skip whitespace and control characters in a scheme.
                squeezed = "".join(ch for ch in value if ch > " ").lower()
                assert not squeezed.startswith(BAD_SCHEMES), html
    # Text keeps `<` escaped, so a raw `<script` anywhere would be markup the parser above missed.
    lowered = html.lower()
    for fragment in ("<script", "<svg", "<math", "<iframe", "<object", "<embed", "<style", "expression("):
        assert fragment not in lowered, html


# Harmless HTML and what comes back of it: the same, links marked to open without a referrer.
HARMLESS = [
    ("<p>Hello <strong>world</strong></p>", "<p>Hello <strong>world</strong></p>"),
    ('<a href="https://example.com/x">link</a>', '<a href="https://example.com/x" rel="noopener noreferrer">link</a>'),
    ('<a href="mailto:a@example.com">m</a>', '<a href="mailto:a@example.com" rel="noopener noreferrer">m</a>'),
    ('<img src="https://example.com/a.png" alt="A">', '<img src="https://example.com/a.png" alt="A">'),
    ("<ul><li>one</li><li>two</li></ul>", "<ul><li>one</li><li>two</li></ul>"),
    ("<h2>T</h2><blockquote>q</blockquote><pre><code>c</code></pre><em>e</em>",
     "<h2>T</h2><blockquote>q</blockquote><pre><code>c</code></pre><em>e</em>"),
    ("Plain text, 1 < 2 & 3 > 2", "Plain text, 1 &lt; 2 &amp; 3 &gt; 2"),
    ("", ""),
]  # fmt: skip


class TestSanitise:
    @pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
    def test_payload_is_defused(self, payload):
        cleaned = sanitise(payload)

        assert_harmless(cleaned)
        assert sanitise(cleaned) == cleaned

    @pytest.mark.parametrize(("text", "html"), HARMLESS)
    def test_harmless_html_survives(self, text, html):
        assert sanitise(text) == html

    def test_harmful_parts_go_and_the_rest_stays(self):
        cleaned = sanitise('<p onclick="alert(1)" style="color:red">Keep <b>this</b><script>alert(2)</script></p>')

        assert cleaned == "<p>Keep <b>this</b></p>"

    def test_an_existing_rel_is_replaced(self):
        assert sanitise('<a href="https://x.example/" rel="opener" target="_blank">t</a>') == (
            '<a href="https://x.example/" rel="noopener noreferrer">t</a>'
        )

    def test_the_checker_itself_catches_payloads(self):
        # The raw payloads must fail the check, or passing it would prove nothing.
        for payload in PAYLOADS.values():
            with pytest.raises(AssertionError):
                assert_harmless(payload)


def lesson_url(course, section, *rest):
    return course_url(course, "section", section, "lesson", *rest)


class TestThroughTheApi:
    @pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
    def test_created_lesson_html_is_harmless(self, client, make, alice, bob, payload):
        course = make.course(alice, sections=1, joined=[bob])
        section = course.sections[0]

        response = client.post(
            lesson_url(course, section),
            json={"name": "Payload", "status": "published", "text": f"<p>before</p>{payload}<p>after</p>"},
            headers=auth(alice),
        )

        assert response.status_code == 201, response.text
        html = response.json()["html"]
        assert_harmless(html)
        # What surrounds the payload stays (an unclosed payload may swallow what follows it).
        assert html.startswith("<p>before</p>")
        lesson_id = response.json()["id"]
        # What members read is what was stored, and what every other answer shows.
        as_member = client.get(lesson_url(course, section, lesson_id), headers=auth(bob))
        assert as_member.json()["html"] == html
        listed = client.get(lesson_url(course, section), headers=auth(alice)).json()
        assert [lesson["html"] for lesson in listed] == [html]

    @pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
    def test_patched_lesson_html_is_harmless(self, client, make, alice, payload):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        lesson = make.lesson(section, html="<p>old</p>")

        response = client.patch(lesson_url(course, section, lesson.id), json={"text": payload}, headers=auth(alice))

        assert response.status_code == 200, response.text
        assert_harmless(response.json()["html"])
        assert "old" not in response.json()["html"]

    def test_put_sanitises_too(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        lesson = make.lesson(section)

        response = client.put(
            lesson_url(course, section, lesson.id),
            json={"name": "Put", "text": '<a href="javascript:alert(1)" onclick="x()">go</a>'},
            headers=auth(alice),
        )

        assert response.status_code == 200, response.text
        assert response.json()["html"] == '<a rel="noopener noreferrer">go</a>'

    @pytest.mark.parametrize(("text", "html"), HARMLESS)
    def test_harmless_html_survives(self, client, make, alice, text, html):
        course = make.course(alice, sections=1)

        response = client.post(
            lesson_url(course, course.sections[0]), json={"name": "Fine", "text": text}, headers=auth(alice)
        )

        assert response.status_code == 201, response.text
        assert response.json()["html"] == html

    def test_html_sent_back_is_not_taken_as_text(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        lesson = make.lesson(section, html="<p>stored</p>")

        response = client.patch(
            lesson_url(course, section, lesson.id), json={"html": "<script>alert(1)</script>"}, headers=auth(alice)
        )

        assert response.status_code == 200, response.text
        assert response.json()["html"] == "<p>stored</p>"
