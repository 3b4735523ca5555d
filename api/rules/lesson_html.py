"""What of a lesson's HTML is kept: an allow-list of tags, attributes and URL schemes (nh3, Ammonia).

The editor's HTML is shown to every member of the course, so anything that can run or load code
goes: scripts, event handlers, styles (CSS `expression()` and friends), SVG and MathML, and every
URL scheme but http, https and mailto (`javascript:`, `data:`, `vbscript:`...). Links are given
`rel="noopener noreferrer"`. The text is sanitised once, when it is written; answers carry the result.
"""

import nh3

URL_SCHEMES = {"http", "https", "mailto"}


def sanitise(text: str) -> str:
    return nh3.clean(text, url_schemes=URL_SCHEMES)
