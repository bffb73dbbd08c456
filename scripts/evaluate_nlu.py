"""`make eval`: intent accuracy, macro-F1, worst intents and confusion matrix on the held-out set, and how
often unrelated requests are taken for utility intents, over a range of fallback thresholds.

The held-out set (tests/nlu/holdout.yml) and the out-of-domain set (tests/nlu/ood.yml) are never trained on.
Writes its section of docs/evaluation.md and docs/confusion_matrix.png.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import yaml

from core.hazards import detect_hazard
from scripts.docs_section import replace_section
from scripts.model import ROOT, train
from scripts.nlu_runner import Parsed, load_agent, load_examples, parse_all

HOLDOUT = ROOT / "tests/nlu/holdout.yml"
OOD = ROOT / "tests/nlu/ood.yml"
DOCS = ROOT / "docs"
NOT_UTILITY = {"out_of_scope", "nlu_fallback", "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge"}


def configured_thresholds() -> tuple[float, float]:
    config = yaml.safe_load((ROOT / "bot/config.yml").read_text())
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    return fallback["threshold"], fallback["ambiguity_threshold"]


def with_threshold(result: Parsed, threshold: float, ambiguity: float) -> str:
    """The intent the assistant would act on under other fallback thresholds (hazard override kept)."""
    if detect_hazard(result.text):
        return "report_emergency"
    if result.confidence < threshold or result.margin < ambiguity:
        return "nlu_fallback"
    return result.top_intent


def scores(results: list[Parsed]) -> dict:
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    y_true = [r.expected for r in results]
    y_pred = [r.predicted for r in results]
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    labels = sorted(set(y_true))
    per_intent = {label: report[label] for label in labels}
    return {"accuracy": accuracy_score(y_true, y_pred),
            "macro_f1": f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0),
            "per_intent": per_intent, "labels": labels}


def confusion_image(results: list[Parsed], labels: list[str], path: Path) -> list[list[int]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    columns = labels + (["nlu_fallback"] if any(r.predicted == "nlu_fallback" for r in results) else [])
    matrix = confusion_matrix([r.expected for r in results], [r.predicted for r in results], labels=columns)
    fig, ax = plt.subplots(figsize=(11, 9))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(columns)):
            if matrix[i, j]:
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    ax.set_title("Held-out intents: confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return matrix[: len(labels)].tolist()


def ood_curve(ood: list[Parsed], holdout: list[Parsed], ambiguity: float) -> list[tuple[float, float, float]]:
    """(threshold, share of OOD taken for a utility intent, held-out accuracy) per threshold."""
    rows = []
    for threshold in [round(0.3 + 0.05 * i, 2) for i in range(13)]:
        leaked = sum(with_threshold(r, threshold, ambiguity) not in NOT_UTILITY for r in ood) / len(ood)
        accuracy = sum(with_threshold(r, threshold, ambiguity) == r.expected for r in holdout) / len(holdout)
        rows.append((threshold, leaked, accuracy))
    return rows


def train_baseline(out: Path) -> Path:
    """Rasa's default pipeline with jieba (scripts/baseline_config.yml), trained on the same NLU data."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "rasa", "train", "nlu", "--config", "scripts/baseline_config.yml",
                    "--nlu", "bot/data/nlu", "--out", str(out), "--fixed-model-name", "baseline"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out / "baseline.tar.gz"


def baseline_lines(ours: dict, holdout_examples) -> tuple[list[str], str]:
    import os
    import tempfile

    if os.environ.get("EVAL_BASELINE", "1") == "0":
        return [], "baseline skipped (EVAL_BASELINE=0)"
    with tempfile.TemporaryDirectory() as tmp:
        baseline = scores(parse_all(load_agent(train_baseline(Path(tmp))), holdout_examples))
    ratio = (1 - baseline["accuracy"]) / max(1e-9, 1 - ours["accuracy"])
    lines = ["", "## Against Rasa's default pipeline", "",
             "Same training data, same held-out set, same run; the baseline is Rasa 3.6's default pipeline with "
             "the tokenizer swapped for jieba (`scripts/baseline_config.yml`).", "",
             "| pipeline | accuracy | macro-F1 | error rate |", "|---|---|---|---|",
             f"| ours (`bot/config.yml`) | {ours['accuracy']:.3f} | {ours['macro_f1']:.3f} | {1 - ours['accuracy']:.1%} |",
             f"| Rasa default + jieba | {baseline['accuracy']:.3f} | {baseline['macro_f1']:.3f} | {1 - baseline['accuracy']:.1%} |",
             "", f"The baseline makes {ratio:.1f}× as many errors."]
    summary = (f"Baseline (Rasa default + jieba): accuracy {baseline['accuracy']:.3f}, macro-F1 "
               f"{baseline['macro_f1']:.3f}; error-rate ratio baseline/ours {ratio:.1f}")
    return lines, summary


def main() -> None:
    from scripts.evaluate_knowledge import evaluate as evaluate_knowledge
    from scripts.evaluate_knowledge import report as knowledge_report

    model = train()
    agent = load_agent(model)
    holdout_examples = load_examples(HOLDOUT)
    holdout = parse_all(agent, holdout_examples)
    ood = parse_all(agent, load_examples(OOD))
    threshold, ambiguity = configured_thresholds()
    result = scores(holdout)
    DOCS.mkdir(exist_ok=True)
    matrix = confusion_image(holdout, result["labels"], DOCS / "confusion_matrix.png")
    worst = sorted(result["per_intent"].items(), key=lambda kv: kv[1]["f1-score"])[:5]
    leaked = [r for r in ood if r.predicted not in NOT_UTILITY]
    curve = ood_curve(ood, holdout, ambiguity)
    errors = [r for r in holdout if r.predicted != r.expected]

    lines = [
        "# NLU evaluation (component figures: data from the same hands as the training data)", "",
        f"Latest run: {dt.date.today().isoformat()}, model `{model.name}`, produced by `make eval`.", "",
        f"Held-out set: {len(holdout)} examples in {len(result['labels'])} intents (tests/nlu/holdout.yml, never trained on).", "",
        f"- Intent accuracy: **{result['accuracy']:.3f}**",
        f"- Macro-F1: **{result['macro_f1']:.3f}**",
        f"- Out-of-domain requests taken for a utility intent (tests/nlu/ood.yml, {len(ood)} requests): "
        f"**{len(leaked) / len(ood):.1%}** at the configured thresholds (threshold {threshold}, ambiguity {ambiguity})", "",
        "## Worst intents", "", "| intent | precision | recall | F1 | support |", "|---|---|---|---|---|",
        *[f"| {name} | {s['precision']:.2f} | {s['recall']:.2f} | {s['f1-score']:.2f} | {int(s['support'])} |"
          for name, s in worst],
        "", "## Per intent", "", "| intent | precision | recall | F1 | support |", "|---|---|---|---|---|",
        *[f"| {name} | {s['precision']:.2f} | {s['recall']:.2f} | {s['f1-score']:.2f} | {int(s['support'])} |"
          for name, s in result["per_intent"].items()],
        "", "## Fallback threshold", "",
        "The FallbackClassifier threshold trades held-out accuracy (a real question answered with \"please rephrase\") "
        "against out-of-domain leakage (an unrelated request answered as a utility question).", "",
        "| threshold | OOD taken for utility intent | held-out accuracy |", "|---|---|---|",
        *[f"| {t:.2f} | {leak:.1%} | {acc:.3f} |" for t, leak, acc in curve],
        "", "## Confusion matrix", "", "![confusion matrix](confusion_matrix.png)", "",
        "Rows: expected; columns: predicted. As text: " + ", ".join(
            f"{result['labels'][i]}→{result['labels'][j] if j < len(result['labels']) else 'nlu_fallback'} {n}"
            for i, row in enumerate(matrix) for j, n in enumerate(row) if n and i != j) + ".",
        "", "## Held-out errors", "", "| text | expected | predicted | confidence |", "|---|---|---|---|",
        *[f"| {r.text} | {r.expected} | {r.predicted} | {r.confidence:.2f} |" for r in errors],
        "", "## Out-of-domain requests taken for a utility intent", "",
        *[f"- {r.text} → {r.predicted} ({r.confidence:.2f})" for r in leaked], "",
    ]
    knowledge = evaluate_knowledge(agent)
    lines += ["## Knowledge search", "", "First result is the right entry; our search gets the intent and utility the "
              "trained NLU recognises, as in production. Paraphrases: tests/knowledge_eval/paraphrases.yml.", "",
              *knowledge_report(knowledge)]
    extra, baseline_summary = baseline_lines(result, holdout_examples)
    lines += extra
    replace_section(DOCS / "evaluation.md", "nlu", ["#" + line if line.startswith("#") else line for line in lines])

    print(f"Held-out: accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f} ({len(holdout)} examples)")
    print("Worst intents: " + ", ".join(f"{n} F1 {s['f1-score']:.2f}" for n, s in worst))
    print(f"OOD taken for a utility intent: {len(leaked)}/{len(ood)} = {len(leaked) / len(ood):.1%}")
    print("Threshold curve (threshold, OOD leak, held-out accuracy): " +
          "; ".join(f"{t:.2f}: {leak:.1%}, {acc:.3f}" for t, leak, acc in curve))
    print("Confusions: " + ", ".join(f"{k} x{v}" for k, v in
                                     Counter(f"{r.expected}→{r.predicted}" for r in errors).most_common(10)))
    print("Knowledge search, right entry first: " + "; ".join(
        f"{name}: ours {r['ours']:.1%} vs plain BM25 {r['bm25']:.1%} ({r['n']})" for name, r in knowledge.items()))
    print(baseline_summary)
    print("Confusion matrix: docs/confusion_matrix.png; report: docs/evaluation.md")


if __name__ == "__main__":
    main()
