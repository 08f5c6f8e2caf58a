"""The user module's SQLite file, its pictures part: the table and the store's methods.

:class:`~plaza.energy.owner.store.SqliteOwnerStore` takes these methods by inheritance, as
it takes the allowances'; a device's picture is removed with the device, in the same
transaction (``remove_device``).
"""

from __future__ import annotations

from plaza.energy.owner.images import DeviceImage
from plaza.sqlite import SqliteFile

__all__ = ["SCHEMA", "ImageRows"]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS device_images (
    device_id TEXT PRIMARY KEY REFERENCES devices(id),
    media_type TEXT NOT NULL,
    data BLOB NOT NULL
)""",
)


class ImageRows:
    """The picture methods of :class:`~plaza.energy.owner.ports.OwnerStore` over SQL."""

    _db: SqliteFile

    def set_device_image(self, device_id: str, image: DeviceImage | None) -> None:
        with self._db.atomic() as conn:
            conn.execute("DELETE FROM device_images WHERE device_id = ?", (device_id,))
            if image is not None:
                conn.execute(  # a device that is not (or no longer) here gets none
                    "INSERT INTO device_images (device_id, media_type, data)"
                    " SELECT id, ?, ? FROM devices WHERE id = ?",
                    (image.media_type, image.data, device_id),
                )

    def device_image(self, device_id: str) -> DeviceImage | None:
        rows = self._db.rows(
            "SELECT media_type, data FROM device_images WHERE device_id = ?", (device_id,)
        )
        return DeviceImage(rows[0][0], bytes(rows[0][1])) if rows else None
