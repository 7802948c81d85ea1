"""The Whoosh index on disk: one writer at a time across processes, readers that never wait.

Writing takes an exclusive ``flock`` on ``update.lock`` in the index folder without waiting: a
process that finds it taken gets :class:`IndexBusy` and leaves the work to the holder (the outbox
keeps it), so a web request never fails or hangs because another gunicorn worker is writing.
Whoosh commits a new generation by writing new segment files and then renaming a new table of
contents into place, so readers see the old generation or the new one, never half of one.

Readers keep one searcher per thread (Whoosh searchers are not shared between threads) and
refresh it when a newer generation exists. Opening can race with a writer deleting the segment
files of a generation just replaced; the open is then retried on the newer one.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, SegmentWriter

from marketplace.search.doctable import DocTable, DocTables
from marketplace.search.schema import SCHEMA_VERSION, build_schema

log = logging.getLogger(__name__)
OPEN_ATTEMPTS = 5
#: Memory each process of a bulk build may sort postings in before spilling to disk.
BULK_LIMIT_MB = 256


class SearchCodec(W3Codec):
    """Whoosh's codec without the per-block length statistics, which only its BM25 scoring
    reads (relevance here is worked out on docsets, see ``ranking``), and with the fastest zlib
    level: a third less time to index, for the same size."""

    length_stats = False

    def __init__(self) -> None:
        super().__init__(compression=1)


class IndexBusy(Exception):
    """Another process (or thread) is writing the index right now."""


class SearchIndex:
    """The index in ``folder`` (one sub-folder per schema version)."""

    def __init__(self, folder: Path):
        self.root = Path(folder)
        self.folder = self.root / f"v{SCHEMA_VERSION}"
        self.tables = DocTables()
        self._local = threading.local()
        self._holder = threading.local()  # .held: this thread holds the write lock
        self._open_lock = threading.Lock()
        self._ix: FileIndex | None = None
        #: Set when this process created the index empty: it must be rebuilt from the database.
        self.fresh = False

    # ------------------------------------------------------------------ opening

    def exists(self) -> bool:
        return whoosh_index.exists_in(str(self.folder))

    def _index(self) -> FileIndex:
        """The index, created empty if the folder has none or holds another schema (under the
        write lock); :attr:`fresh` then says it must be filled (``outbox.rebuild``)."""
        if self._ix is not None:
            return self._ix
        with self._open_lock:
            if self._ix is None:
                if not self._usable():
                    held = getattr(self._holder, "held", False)
                    with contextlib.nullcontext() if held else self.write_lock(wait=30.0):
                        if not self._usable():
                            self.folder.mkdir(parents=True, exist_ok=True)
                            whoosh_index.create_in(str(self.folder), build_schema())
                            self.fresh = True
                self._ix = FileStorage(str(self.folder)).open_index()
        return self._ix

    def _usable(self) -> bool:
        """An index is in the folder, with the fields this code writes and reads."""
        if not self.exists():
            return False
        try:
            stored = FileStorage(str(self.folder)).open_index().schema
        except Exception:
            log.exception("the search index in %s cannot be opened", self.folder)
            return False
        wanted = build_schema()
        if sorted(stored.names()) != sorted(wanted.names()) or any(
                type(stored[name]) is not type(wanted[name]) for name in wanted.names()):
            log.warning("the search index in %s has other fields; it will be rebuilt",
                        self.folder)
            return False
        return True

    def searcher(self) -> Searcher:
        """This thread's searcher on the newest generation."""
        current: Searcher | None = getattr(self._local, "searcher", None)
        for attempt in range(OPEN_ATTEMPTS):
            try:
                if current is not None and current.up_to_date():
                    return current
                # A fresh searcher, not Searcher.refresh(): Whoosh 2.7 reuses the segment
                # readers of the old one, deletions and all, so a deleted document stayed.
                fresh = self._index().searcher()
                if current is not None:
                    current.close()
                self._local.searcher = current = fresh
                return current
            except (FileNotFoundError, OSError) as exc:
                # A writer removed the files of the generation we were opening: try the next.
                log.debug("search index changed while opening (%s); retrying", exc)
                current = None
                self._local.searcher = None
                time.sleep(0.01 * (attempt + 1))
        raise RuntimeError(f"could not open the search index in {self.folder}")

    def table(self, searcher: Searcher) -> DocTable:
        """The facet and sort columns of ``searcher``'s generation."""
        return self.tables.for_searcher(searcher)

    def generation(self) -> int:
        return self._index().latest_generation()

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def write_lock(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the index's write lock; :class:`IndexBusy` if not free within ``wait`` seconds."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "update.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(str(self.root)) from None
                    time.sleep(0.05)
            self._holder.held = True
            try:
                yield
            finally:
                self._holder.held = False
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def writer(self, *, replace_all: bool = False, procs: int = 1) -> Iterator[SegmentWriter]:
        """A writer committed on leaving the block (cancelled on an exception); the caller
        holds :meth:`write_lock`.

        :param replace_all: the documents written replace the whole index when committed:
            readers see the old index until then, and only the new one after.
        :param procs: processes that analyse and index documents (a bulk build on several
            cores); each writes a segment of its own, kept as it is (no merge at the end).
        """
        ix = self._index()
        if replace_all:
            ix = self._openable(ix)
        writer = (ix.writer(procs=procs, multisegment=True, limitmb=BULK_LIMIT_MB,
                            codec=SearchCodec())
                  if procs > 1 else ix.writer(codec=SearchCodec()))
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR if replace_all else None)

    def _openable(self, ix: FileIndex) -> FileIndex:
        """``ix``, or a new empty index in its place if its files cannot be read."""
        try:
            ix.searcher().close()
            return ix
        except Exception:
            log.exception("the search index in %s cannot be read; starting it afresh",
                          self.folder)
            self.folder.mkdir(parents=True, exist_ok=True)
            whoosh_index.create_in(str(self.folder), build_schema())
            with self._open_lock:
                self._ix = FileStorage(str(self.folder)).open_index()
            return self._ix
