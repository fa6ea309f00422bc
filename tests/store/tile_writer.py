"""A writer for the tiles crash test: appends batches of entries to a store and prints the
log's size after each batch is acknowledged."""

from __future__ import annotations

import random
import sys

from carechain.store import open_store
from tests.store.test_contract import _record


def main() -> None:
    """Append batches of 1 to 400 new entries forever, printing the size after each."""
    store = open_store(sys.argv[1])
    rnd = random.Random(int(sys.argv[2]))
    print(store.count(), flush=True)
    while True:
        batch = _record(rnd.randint(1, 400))
        store.append(batch)
        print(store.count(), flush=True)


if __name__ == "__main__":
    main()
