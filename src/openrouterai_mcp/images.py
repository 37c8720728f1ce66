"""Generated images out: `message.images[]` -> a small descriptor in the JSON, the bytes beside it.

Each image of an answer (streamed or not) is replaced in the result by
`{"type": "image", "mime_type", "bytes": <decoded size>, "saved_to"?}`, so the JSON text never holds
base64. The image itself travels as an `InlineImage` on the `ChatResult`, which `envelope.py` turns
into one MCP image content block per image, after the JSON text. With OPENROUTER_OUTPUT_DIR every image
is also saved there; an image over OPENROUTER_MAX_INLINE_IMAGE_MB is saved (to OPENROUTER_OUTPUT_DIR,
else a temporary directory) and not inlined. Decoding and writing run in a worker thread.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from .jsonshape import as_dict, as_list
from .settings import Settings

MIB = 1024 * 1024

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InlineImage:
    mime_type: str
    data: str  # base64


class ChatResult(dict[str, Any]):
    """A chat result (plain JSON) that also carries the generated images to return as image blocks."""

    def __init__(self, payload: dict[str, Any], images: list[InlineImage]) -> None:
        super().__init__(payload)
        self.images = images


def has_images(result: dict[str, Any]) -> bool:
    return any(as_dict(as_dict(choice).get("message")).get("images") for choice in as_list(result.get("choices")))


class ImageSaver:
    """Where images are saved: OPENROUTER_OUTPUT_DIR, else one temporary directory per server run."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._temporary: str | None = None

    def directory(self, *, wanted: bool) -> str | None:
        if self._settings.output_dir is not None:
            return self._settings.output_dir
        if not wanted:
            return None
        if self._temporary is None:
            import tempfile  # only when an image must be saved: keeps it off the start path

            self._temporary = tempfile.mkdtemp(prefix="openrouterai-mcp-images-")
        return self._temporary

    async def extract(self, result: dict[str, Any]) -> ChatResult:
        """Replace each `message.images` entry with a descriptor; collect what is to be inlined."""
        inline_limit = int(self._settings.max_inline_image_mb * MIB)
        inlined: list[InlineImage] = []
        for choice in as_list(result.get("choices")):
            message = as_dict(as_dict(choice).get("message"))
            images = message.get("images")
            if not images:
                continue
            descriptors: list[dict[str, Any]] = []
            for item in as_list(images):
                descriptor, image = await self._one(as_dict(item), inline_limit)
                descriptors.append(descriptor)
                if image is not None:
                    inlined.append(image)
            message["images"] = descriptors
        return ChatResult(result, inlined)

    async def _one(self, item: dict[str, Any], inline_limit: int) -> tuple[dict[str, Any], InlineImage | None]:
        from . import media  # only for answers with images: keeps it off the start path

        url = as_dict(item.get("image_url")).get("url")
        if not isinstance(url, str) or url[:5].lower() != "data:":
            # A URL is passed on as it is: the server never fetches one.
            return {"type": "image", "url": url}, None
        try:
            uri = media.parse_data_uri(url)
        except ValueError as exc:
            return {"type": "image", "error": str(exc)}, None
        sniffed = media.sniff(media.decode_head(uri.payload))
        mime = sniffed.mime if sniffed is not None and sniffed.kind == "image" else uri.mime
        size = media.decoded_size(uri.payload)
        descriptor: dict[str, Any] = {"type": "image", "mime_type": mime, "bytes": size}
        oversize = size > inline_limit
        directory = self.directory(wanted=oversize)
        if directory is not None:
            extension = sniffed.extension if sniffed is not None else mime.rsplit("/", 1)[-1]
            try:
                descriptor["saved_to"] = await anyio.to_thread.run_sync(_save, directory, extension, uri.payload)
            except (OSError, binascii.Error, ValueError) as exc:
                logger.warning("could not save a generated image to %s: %s", directory, type(exc).__name__)
                descriptor["save_error"] = f"could not save the image to {directory}: {type(exc).__name__}"
        if oversize:
            return descriptor, None
        return descriptor, InlineImage(mime, uri.payload)


def _save(directory: str, extension: str, payload: str) -> str:
    import uuid  # only when an image is saved: keeps it off the start path

    os.makedirs(directory, exist_ok=True)
    data = base64.b64decode(payload)
    name = f"image-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:12]}.{extension}"
    path = os.path.join(directory, name)
    with open(path, "xb") as handle:
        handle.write(data)
    return path
