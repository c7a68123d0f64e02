"""PyTorch reference for `bench/train.ts`: candlecast's two models at their default sizes, trained the same way.

The same architecture, sizes and step as ml/models/* and `train`: transformer_lstm (input projection, LayerNorm,
sinusoidal positions, 2 post-LN encoder layers d_model 64 / 4 heads / FFN 256, 2 BiLSTM layers of 64, attention
pooling with a learned query per head, class and regression heads of width 64) and lightweight_lstm (2 LSTM layers
of 64, last state, the same heads); dropout 0.1 everywhere candlecast has it; class-weighted cross-entropy + MSE;
gradients clipped to global norm 1; Adam (lr 1e-3, eps 1e-7). Inputs are random, as in the bench.

It is driven over stdin/stdout so the bench can interleave it with candlecast's steps: each request line is JSON
{"model", "batch", "threads", "seconds"}; it trains that model (built once per model and batch, seed 42) for at
least `seconds` and answers {"steps", "seconds", "cpu_seconds"}. Not a CI dependency: Debian's python3-torch with
libopenblas0-pthread, started with OPENBLAS_NUM_THREADS=1 by the bench (as the issue's reference table).
"""

import json
import math
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

LOOKBACK, FEATURES, D_MODEL, HEADS, FFN, ENCODER_LAYERS, LSTM_HIDDEN, LSTM_LAYERS, DROPOUT = (
    50, 35, 64, 4, 256, 2, 64, 2, 0.1)


def sinusoidal_table(steps, dim):
    table = torch.zeros(steps, dim)
    for t in range(steps):
        for j in range(dim):
            angle = t / math.pow(10000, (2 * (j // 2)) / dim)
            table[t, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return table


class Heads(nn.Module):
    """ml/models/heads.ts: shared dropout, then class (hidden → 3) and regression (hidden → 1) branches."""

    def __init__(self, features, hidden):
        super().__init__()
        self.dropout = nn.Dropout(DROPOUT)
        self.class_hidden = nn.Linear(features, hidden)
        self.regression_hidden = nn.Linear(features, hidden)
        self.class_logits = nn.Linear(hidden, 3)
        self.regression = nn.Linear(hidden, 1)

    def forward(self, x):
        x = self.dropout(x)
        return (self.class_logits(F.relu(self.class_hidden(x))),
                self.regression(F.relu(self.regression_hidden(x))))


class AttentionPooling(nn.Module):
    """ml/layers/attention.ts AttentionPooling, in the same folded order (never projects every timestep)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.query = nn.Parameter(torch.randn(dim) / math.sqrt(dim))
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.output = nn.Linear(dim, dim)
        mask = torch.zeros(dim, heads)
        for j in range(dim):
            mask[j, j // (dim // heads)] = 1
        self.register_buffer("mask", mask)

    def forward(self, x):
        dim = x.shape[2]
        scale = 1 / math.sqrt(dim / self.heads)
        query_by_head = self.query.reshape(dim, 1) * self.mask  # [d, heads]
        key_query = (self.key.weight.t() @ query_by_head) * scale
        bias_query = (self.key.bias.reshape(dim, 1) * query_by_head).sum(0) * scale
        scores = x @ key_query + bias_query  # [b, T, heads]
        weights = torch.softmax(scores.transpose(1, 2), dim=2)  # [b, heads, T]
        values = self.value(weights @ x)  # [b, heads, d]
        pooled = (values * self.mask.t()).sum(1)
        return self.output(pooled), weights.mean(1)


class TransformerLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_projection = nn.Linear(FEATURES, D_MODEL)
        self.input_norm = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.register_buffer("positions", sinusoidal_table(LOOKBACK, D_MODEL))
        self.input_dropout = nn.Dropout(DROPOUT)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FFN, DROPOUT, batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, ENCODER_LAYERS, enable_nested_tensor=False)
        self.lstm = nn.LSTM(D_MODEL, LSTM_HIDDEN, LSTM_LAYERS, batch_first=True, dropout=DROPOUT,
                            bidirectional=True)
        self.lstm_dropout = nn.Dropout(DROPOUT)
        self.pool = AttentionPooling(2 * LSTM_HIDDEN, HEADS)
        self.heads = Heads(2 * LSTM_HIDDEN, D_MODEL)

    def forward(self, x):
        x = self.input_dropout(self.input_norm(self.input_projection(x)) + self.positions)
        x = self.encoder(x)
        x = self.lstm_dropout(self.lstm(x)[0])
        pooled, _ = self.pool(x)
        return self.heads(pooled)


class LightweightLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(FEATURES, LSTM_HIDDEN, LSTM_LAYERS, batch_first=True, dropout=DROPOUT)
        self.lstm_dropout = nn.Dropout(DROPOUT)
        self.heads = Heads(LSTM_HIDDEN, LSTM_HIDDEN)

    def forward(self, x):
        return self.heads(self.lstm_dropout(self.lstm(x)[0][:, -1]))


MODELS = {"transformer_lstm": TransformerLstm, "lightweight_lstm": LightweightLstm}


class Trainer:
    def __init__(self, model_type, batch):
        torch.manual_seed(42)
        self.model = MODELS[model_type]()
        self.model.train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.x = torch.randn(batch, LOOKBACK, FEATURES)
        self.labels = torch.randint(0, 3, (batch,))
        self.target = torch.randn(batch)
        self.class_weights = torch.ones(3)

    def step(self):
        logits, regression = self.model(self.x)
        cross_entropy = (F.cross_entropy(logits, self.labels, reduction="none")
                         * self.class_weights[self.labels]).mean()
        loss = cross_entropy + F.mse_loss(regression.reshape(-1), self.target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return loss.item()


def main():
    trainers = {}
    for line in sys.stdin:
        request = json.loads(line)
        torch.set_num_threads(int(request["threads"]))
        key = (request["model"], int(request["batch"]))
        if key not in trainers:
            trainers[key] = Trainer(*key)
            trainers[key].step()  # warm-up: allocations, OpenBLAS buffers
        trainer = trainers[key]
        steps, wall, cpu = 0, time.perf_counter(), time.process_time()
        while steps == 0 or time.perf_counter() - wall < float(request["seconds"]):
            trainer.step()
            steps += 1
        answer = {"steps": steps, "seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
