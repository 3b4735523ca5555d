"""A strict reader of `multipart/form-data` bodies.

Starlette's parser decodes undecodable text as Latin-1 and accepts a body cut short; both would
let a broken request through as if it were something else, so bodies are read here instead.
"""

from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from api.errors import BadRequest

# A valid course form has at most about 1 070 parts (1 000 in `sections_order`, 50 `categories`, the
# other fields and the file); the body size limit bounds the rest.
MAX_PARTS = 1100


@dataclass
class Part:
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    @property
    def is_file(self) -> bool:
        """A file part: it has a filename, or declares a type other than text (RFC 7578 makes
        `filename` optional and `text/plain` the default type)."""
        media_type = (self.content_type or "text/plain").split(";", 1)[0].strip().lower()
        return self.filename is not None or not media_type.startswith("text/")

    def text(self) -> str:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed(f"The value of '{self.name}' is not UTF-8 text.")


def _malformed(detail: str) -> BadRequest:
    return BadRequest(detail, code="parse_error")


def parse(content_type: str, body: bytes) -> list[Part]:
    """The parts of a whole body, in order."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise _malformed("The multipart Content-Type has no boundary parameter.")
    parts: list[Part] = []
    header = [b"", b""]

    def begin():
        if len(parts) >= MAX_PARTS:
            raise _malformed(f"A body may have at most {MAX_PARTS} parts.")
        parts.append(Part())

    def header_field(data, start, end):
        header[0] += data[start:end]

    def header_value(data, start, end):
        header[1] += data[start:end]

    def header_end():
        parts[-1].headers.append((header[0].strip().lower(), header[1].strip()))
        header[:] = [b"", b""]

    def headers_finished():
        part = parts[-1]
        headers = dict(part.headers)
        _, disposition = parse_options_header(headers.get(b"content-disposition", b"").decode("latin-1"))
        if b"name" not in disposition:
            raise _malformed("Every part needs a Content-Disposition header with a name.")
        try:
            part.name = disposition[b"name"].decode("utf-8")
            if b"filename" in disposition:
                part.filename = disposition[b"filename"].decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("Part names and file names must be UTF-8.")
        if b"content-type" in headers:
            part.content_type = headers[b"content-type"].decode("latin-1")

    def data(chunk, start, end):
        parts[-1].data += chunk[start:end]

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": begin,
            "on_header_field": header_field,
            "on_header_value": header_value,
            "on_header_end": header_end,
            "on_headers_finished": headers_finished,
            "on_part_data": data,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise _malformed(f"The multipart body is malformed: {exc}.")
    if parser.state != MultipartState.END:
        raise _malformed("The multipart body ends before its closing boundary.")
    return parts
