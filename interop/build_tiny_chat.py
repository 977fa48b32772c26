"""Build a tiny Qwen2-shaped chat model for `transformers serve`, from nothing (no download).

Run with the `transformers serve` environment's Python: ``build_tiny_chat.py OUT_DIR``.

- The tokenizer is a byte-level BPE trained here with `tokenizers` on a few sentences, plus
  ChatML and tool-call markers (`<|im_start|>`, `<|im_end|>`, `<tool_call>`, `</tool_call>`).
- The weights are set by hand so that greedy decoding is a fixed chain: each token's
  successor is written into `lm_head` and the layer adds nothing to the residual (zeroed
  output projections). So the answer is known in advance: ANSWER for a plain chat, and a
  tool call to `get_weather` when the chat template prefills `<tool_call>`.
- The chat template is ChatML with tools (the shape Qwen2.5 uses). When tools are given and
  the last message is the user's, it prefills `<tool_call>`, so the model always calls the
  tool on the first turn and answers in text after the tool's result. The model type is
  `qwen2`, so `transformers serve` parses `<tool_call>...</tool_call>` as OpenAI tool calls.
"""

import json
import os
import sys

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

ANSWER = "Hello from the tiny model! It always says this same sentence."
TOOL_CALL = json.dumps({"name": "get_weather", "arguments": {"city": "Paris"}})
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MARKERS = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<tools>", "</tools>"]

CHAT_TEMPLATE = (
    "{% macro text(content) %}"
    "{% if content is string %}{{ content }}"
    "{% elif content %}{% for part in content %}{{ part.text or '' }}{% endfor %}"
    "{% endif %}"
    "{% endmacro %}"
    "{% if tools %}"
    "<|im_start|>system\n"
    "{% if messages[0].role == 'system' %}{{ text(messages[0].content) }}\n{% endif %}"
    "# Tools\n<tools>"
    "{% for tool in tools %}\n{{ tool | tojson }}{% endfor %}\n</tools>"
    "<|im_end|>\n"
    "{% elif messages[0].role == 'system' %}"
    "<|im_start|>system\n{{ text(messages[0].content) }}<|im_end|>\n"
    "{% endif %}"
    "{% for message in messages %}"
    "{% if message.role == 'user' or (message.role == 'system' and not loop.first) %}"
    "<|im_start|>{{ message.role }}\n{{ text(message.content) }}<|im_end|>\n"
    "{% elif message.role == 'assistant' %}"
    "<|im_start|>assistant\n{{ text(message.content) }}"
    "{% for call in message.tool_calls or [] %}"
    "<tool_call>{\"name\": {{ call.function.name | tojson }}, \"arguments\": "
    "{% if call.function.arguments is string %} {{ call.function.arguments }}"
    "{% else %} {{ call.function.arguments | tojson }}{% endif %}"
    "}</tool_call>"
    "{% endfor %}"
    "<|im_end|>\n"
    "{% elif message.role == 'tool' %}"
    "<|im_start|>user\n<tool_response>{{ text(message.content) }}</tool_response><|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "<|im_start|>assistant\n"
    "{% if tools and messages[-1].role == 'user' %}<tool_call>{% endif %}"
    "{% endif %}"
)

CORPUS = [
    ANSWER, "What is the weather in Paris?", "Tell me a story about a tiny model.",
    "assistant", "user", "system", "The answer is always the same.",
] * 20


def build_tokenizer():
    """A byte-level BPE trained on CORPUS, with ChatML and tool-call markers as single tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   additional_special_tokens=["<|im_start|>"])
    # Markers and the tool call's JSON are single (non-special) tokens, as in Qwen's vocabulary:
    # the server keeps them in the raw decode it parses.
    fast.add_tokens(MARKERS + [TOOL_CALL])
    fast.chat_template = CHAT_TEMPLATE
    return fast


def chains(tok):
    """The token chains greedy decoding must follow: {token id: next token id}."""
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    plain = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True,
                                    tokenize=True, return_dict=False)
    answer = tok.encode(ANSWER, add_special_tokens=False)
    call = [tok.convert_tokens_to_ids(t) for t in ("<tool_call>", TOOL_CALL, "</tool_call>")]
    nxt = {}
    for sequence in ([plain[-1]] + answer + [eos], call + [eos], [eos, eos]):
        for a, b in zip(sequence, sequence[1:]):
            if nxt.get(a, b) != b:
                raise SystemExit("token %r has two successors: pick another ANSWER" % tok.convert_ids_to_tokens(a))
            nxt[a] = b
    return nxt


def build_model(tok, nxt):
    """A one-layer Qwen2 whose hidden state is the one-hot current token; lm_head maps it to its successor."""
    vocab = len(tok)
    hidden = ((vocab + 63) // 64) * 64
    config = Qwen2Config(vocab_size=vocab, hidden_size=hidden, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096,
                         tie_word_embeddings=False, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, bos_token_id=None, torch_dtype="float32")
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name:
                p.fill_(1.0)
        model.model.embed_tokens.weight[:, :vocab] = torch.eye(vocab)
        eos = tok.eos_token_id
        for i in range(vocab):
            model.lm_head.weight[nxt.get(i, eos), i] = 10.0
    model.generation_config = GenerationConfig(do_sample=False, eos_token_id=tok.eos_token_id,
                                               pad_token_id=tok.pad_token_id, max_new_tokens=64)
    return model


def main(out_dir):
    tok = build_tokenizer()
    model = build_model(tok, chains(tok))
    os.makedirs(out_dir, exist_ok=True)
    tok.save_pretrained(out_dir)
    model.save_pretrained(out_dir)
    # Check the chain end to end before any server sees it.
    ids = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)
    out = model.generate(**ids, max_new_tokens=40)
    text = tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    if text != ANSWER:
        raise SystemExit("the tiny model says %r, expected %r" % (text, ANSWER))
    print("tiny chat model in %s: %d tokens, answers %r" % (out_dir, len(tok), text))


if __name__ == "__main__":
    main(sys.argv[1])
