"""Reading pages in tests as a visitor sees them."""

import html


def text(response) -> str:
    """The page as a reader sees its characters (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())
