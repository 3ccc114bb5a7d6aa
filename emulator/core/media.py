"""Media and files: photos, albums, documents, getFile, and the files users upload."""

from __future__ import annotations

from typing import Any

from emulator.core.errors import bad_request
from emulator.core.messages import MAX_CAPTION, Messages
from emulator.core.objects import StoredFile, UploadedFile
from emulator.core.params import Params
from emulator.markup import EntityError, parse_html, utf16_len

MAX_DOWNLOAD = 20 * 1024 * 1024


class Media(Messages):
    """sendPhoto, sendMediaGroup, sendDocument, getFile; files stored for download."""

    def _store_file(self, content: bytes, folder: str, suffix: str) -> StoredFile:
        file_id, unique = self._new_unique("F")
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            content=content,
            file_path=f"{folder}/emu_{unique}{suffix}",
            size=len(content),
        )
        self.files[file_id] = stored
        return stored

    def _photo_sizes(self, content: bytes) -> list[dict[str, Any]]:
        sizes = []
        for width, height, share in ((90, 67, 0.05), (320, 240, 0.3), (1280, 960, 1.0)):
            part = content if share == 1.0 else content[: max(1, int(len(content) * share))]
            stored = self._store_file(part, "photos", ".jpg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.size,
                }
            )
        return sizes

    def _input_photo(
        self, value: str | None, files: dict[str, UploadedFile]
    ) -> list[dict[str, Any]]:
        if value is None:
            raise bad_request("there is no photo in the request")
        if value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return self._photo_sizes(upload.content)
        stored = self.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return self._photo_sizes(stored.content)

    def _send_photo(self, params: Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self._writable_chat(params)
        caption, entities = self._text_and_entities(params, "caption", MAX_CAPTION, False)
        value = params.text("photo")
        if value is None and "photo" in files:
            value = "attach://photo"
        message = self._base_message(chat, self.bot)
        message["photo"] = self._input_photo(value, files)
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        return self._finish_bot_message(chat, message, params)

    def _send_media_group(self, params: Params, files: dict[str, UploadedFile]) -> Any:
        chat = self._writable_chat(params)
        media = params.data("media", required=True)
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album: must include 2-10 items")
        group_id = str(10**12 + next(self._group_ids))
        sent = []
        for item in media:
            if item.get("type") not in ("photo", "document"):
                raise bad_request(f"unsupported media type {item.get('type')!r}")
            caption = item.get("caption")
            entities: list[dict[str, Any]] = item.get("caption_entities") or []
            if caption and (item.get("parse_mode") or "").upper() == "HTML":
                try:
                    caption, entities = parse_html(caption)
                except EntityError as exc:
                    raise bad_request(str(exc)) from None
            if caption and utf16_len(caption) > MAX_CAPTION:
                raise bad_request("message caption is too long")
            message = self._base_message(chat, self.bot)
            message["media_group_id"] = group_id
            if item["type"] == "photo":
                message["photo"] = self._input_photo(item.get("media"), files)
            else:
                message["document"] = self._input_document(item.get("media"), files, None)
            if caption:
                message["caption"] = caption
                if entities:
                    message["caption_entities"] = entities
            sent.append(self._finish_bot_message(chat, message, params))
        return sent

    def _input_document(
        self, value: str | None, files: dict[str, UploadedFile], filename: str | None
    ) -> dict[str, Any]:
        if value is not None and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        elif value is not None and value in self.files:
            stored = self.files[value]
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "file_name": filename or stored.file_path,
            }
        else:
            upload = files.get("document")
        if upload is None:
            raise bad_request("there is no document in the request")
        name = filename or upload.filename or "file"
        stored = self._store_file(upload.content, "documents", "_" + name)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
            "mime_type": upload.mimetype,
            "file_size": stored.size,
        }

    def _send_document(self, params: Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self._writable_chat(params)
        caption, entities = self._text_and_entities(params, "caption", MAX_CAPTION, False)
        message = self._base_message(chat, self.bot)
        message["document"] = self._input_document(params.text("document"), files, None)
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        return self._finish_bot_message(chat, message, params)

    def _get_file(self, params: Params, files: dict[str, UploadedFile]) -> dict[str, Any]:
        file_id = params.text("file_id", required=True) or ""
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def photo_payload(self, content: bytes) -> list[dict[str, Any]]:
        """PhotoSize objects (three sizes, smallest first) for an uploaded picture."""
        return self._photo_sizes(content)

    def document_payload(self, content: bytes, name: str, mimetype: str) -> dict[str, Any]:
        """A Document object for an uploaded file."""
        return self._input_document(None, {"document": UploadedFile(name, content, mimetype)}, name)
