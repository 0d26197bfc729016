"""Several processes training one model (``torchrun --nproc-per-node N -m nas train …``):
DistributedDataParallel over gloo (CPU) or NCCL (CUDA).

torchrun sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; without them (or with a world of 1)
training is the ordinary single process. Each process trains on its own share of every epoch
(a :class:`torch.utils.data.DistributedSampler` over the training split); ``--batch-size`` is
per process, so a step sees ``batch × world size`` images. Rank 0 alone evaluates, writes
checkpoints and results; its accuracy is sent to the others so every process follows the same
history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as distributed


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """Whether this process writes files and evaluates (rank 0)."""
        return self.rank == 0


def world_from_environment() -> World:
    """The world torchrun describes in ``WORLD_SIZE``/``RANK``/``LOCAL_RANK`` (else one
    process)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    return World(rank=int(os.environ.get("RANK", "0")), size=size,
                 local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def join_world(world: World, device: str) -> str:
    """Join the process group (NCCL for CUDA devices, gloo otherwise) and return this
    process's device: ``cuda:<local rank>`` when training on CUDA, else ``device``."""
    if world.size <= 1:
        return device
    cuda = device.startswith("cuda")
    if cuda:
        device = f"cuda:{world.local_rank}"
        torch.cuda.set_device(world.local_rank)
    if not distributed.is_initialized():
        distributed.init_process_group("nccl" if cuda else "gloo", rank=world.rank,
                                       world_size=world.size)
    return device


def leave_world(world: World) -> None:
    """Leave the process group (after a barrier, so rank 0's last files are written)."""
    if world.size > 1 and distributed.is_initialized():
        distributed.barrier()
        distributed.destroy_process_group()


def abandon_world(world: World) -> None:
    """Leave the process group without waiting for the others (after an error or Ctrl-C)."""
    if world.size > 1 and distributed.is_initialized():
        distributed.destroy_process_group()


def average_gradients(world: World, parameters) -> None:
    """Replace each gradient of ``parameters`` by its mean over the processes (for training
    loops that run several forward passes per step, which DistributedDataParallel's single
    forward does not fit). Parameters without a gradient are left alone; every process must
    have gradients for the same parameters (e.g. the same subnets, drawn with one seed)."""
    if world.size <= 1:
        return
    for parameter in parameters:
        if parameter.grad is not None:
            distributed.all_reduce(parameter.grad)
            parameter.grad.div_(world.size)


def mean_across(world: World, value: float) -> float:
    """The mean of ``value`` over the processes (e.g. each one's loss on its share)."""
    if world.size <= 1:
        return value
    tensor = torch.tensor([float(value)], dtype=torch.float64)
    distributed.all_reduce(tensor)
    return float(tensor) / world.size


def from_main(world: World, value):
    """``value`` as rank 0 has it, on every process (a picklable object)."""
    if world.size <= 1:
        return value
    box = [value]
    distributed.broadcast_object_list(box, src=0)
    return box[0]
