"""Where the engine's randomness comes from: Monte Carlo draws on keyed streams, or their
expectations (the expected-value model). Both speak `Sampler`, so one recursion serves both."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class Sampler(Protocol):
    """Where the engine's randomness comes from: draws, or their expectations."""

    def binomial(self, slot: int, n: NDArray, p: NDArray | float) -> NDArray: ...

    def poisson(self, slot: int, lam: NDArray) -> NDArray: ...

    def zeros(self, shape: tuple[int, ...]) -> NDArray: ...


class RandomSampler:
    """Monte Carlo draws; one generator per slot, so a change at one touchpoint leaves the
    others' streams aligned (common random numbers between a scenario and its variants)."""

    def __init__(self, seed: np.random.SeedSequence, slots: int) -> None:
        # Children by explicit key, not `seed.spawn`: spawning again would give new children,
        # and every world built on this seed must see the same streams.
        self.rngs = [
            np.random.Generator(
                np.random.PCG64(
                    np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i))
                )
            )
            for i in range(slots)
        ]

        self.seed = seed
        self.extra: dict[int, np.random.Generator] = {}

    def rng(self, slot: int) -> np.random.Generator:
        """The generator of a slot; slots past the touchpoints' are made on first use."""
        if slot < len(self.rngs):
            return self.rngs[slot]
        if slot not in self.extra:
            key = (*self.seed.spawn_key, slot)
            self.extra[slot] = np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(self.seed.entropy, spawn_key=key))
            )
        return self.extra[slot]

    def binomial(self, slot: int, n: NDArray, p: NDArray | float) -> NDArray:
        # The same values as `np.clip(p, 0, 1)`, without its Python-level dispatch.
        return self.rng(slot).binomial(n, np.minimum(np.maximum(p, 0.0), 1.0))

    def poisson(self, slot: int, lam: NDArray) -> NDArray:
        return self.rng(slot).poisson(lam)

    def zeros(self, shape: tuple[int, ...]) -> NDArray:
        return np.zeros(shape, dtype=np.int64)


class MeanSampler:
    """Every draw replaced by its expectation: the expected-value model."""

    def binomial(self, slot: int, n: NDArray, p: NDArray | float) -> NDArray:
        return np.asarray(n, dtype=float) * np.minimum(np.maximum(p, 0.0), 1.0)  # as np.clip

    def poisson(self, slot: int, lam: NDArray) -> NDArray:
        return np.asarray(lam, dtype=float)

    def zeros(self, shape: tuple[int, ...]) -> NDArray:
        return np.zeros(shape, dtype=float)
