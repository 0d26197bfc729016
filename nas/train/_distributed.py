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
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def joined_world(world: World, device: str) -> Iterator[str]:
    """Join the process group for the ``with`` block (yielding this process's device, as
    :func:`join_world`); leave it after a barrier when the block ends, or at once after an
    error or Ctrl-C, so the other processes are not left waiting."""
    device = join_world(world, device)
    try:
        yield device
    except BaseException:
        if world.size > 1 and distributed.is_initialized():
            distributed.destroy_process_group()
        raise
    leave_world(world)


def _reduce_device(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` where the process group's backend can reduce it (NCCL: this process's GPU)."""
    if distributed.get_backend() == "nccl":
        return tensor.to(torch.device("cuda", torch.cuda.current_device()))
    return tensor


def average_gradients(world: World, parameters) -> None:
    """Replace each gradient of ``parameters`` by its mean over the processes (for training
    loops that run several forward passes per step, which DistributedDataParallel's single
    forward does not fit), in one all-reduce of the gradients laid end to end. Parameters
    without a gradient are left alone; every process must have gradients for the same
    parameters (e.g. the same subnets, drawn with one seed)."""
    if world.size <= 1:
        return
    gradients = [parameter.grad for parameter in parameters if parameter.grad is not None]
    if not gradients:
        return
    flat = torch.cat([gradient.reshape(-1) for gradient in gradients])
    distributed.all_reduce(flat)
    flat.div_(world.size)
    offset = 0
    for gradient in gradients:
        gradient.copy_(flat[offset:offset + gradient.numel()].view_as(gradient))
        offset += gradient.numel()


def mean_across(world: World, value: float) -> float:
    """The mean of ``value`` over the processes (e.g. each one's loss on its share)."""
    if world.size <= 1:
        return value
    tensor = _reduce_device(torch.tensor([float(value)], dtype=torch.float64))
    distributed.all_reduce(tensor)
    return float(tensor) / world.size


def from_main(world: World, value):
    """``value`` as rank 0 has it, on every process (a picklable object)."""
    if world.size <= 1:
        return value
    box = [value]
    distributed.broadcast_object_list(box, src=0)
    return box[0]
