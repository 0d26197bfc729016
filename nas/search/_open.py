"""Checking a run's inputs and opening its study: shared by ``nas search`` and ``nas scale``.

Device and data are checked before the storage is touched, so bad input writes nothing.
"""

from __future__ import annotations

import dataclasses

import optuna

from nas.search._evaluate import get_data
from nas.search._storage import make_storage, manifest, open_study, worker_threads
from nas.train import resolve_device


def open_run(options, *, name: str, identity: dict, directions: list[str], sampler, pruner,
             threads: int | None) -> tuple[optuna.Study, int]:
    """Check device and data of ``options`` (a SearchOptions or ScaleOptions), then open or
    create study ``name``; return it and the torch threads of this worker."""
    resolve_device(options.proxy.train.device)
    get_data(options.proxy, resolution=options.proxy.resolution, seed=options.study.seed)
    threads = threads or worker_threads(options.study.workers, options.proxy.train.threads)
    storage = make_storage(options.study.storage, root=options.study.root, name=name)
    study = open_study(storage=storage, name=name, identity=identity, directions=directions,
                       sampler=sampler, pruner=pruner,
                       manifest_document=manifest(options=dataclasses.asdict(options),
                                                  threads=threads,
                                                  device=options.proxy.train.device))
    return study, threads
