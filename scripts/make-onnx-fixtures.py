#!/usr/bin/python3
"""
ONNX test fixtures made with real PyTorch (issue 17). Not run by CI: the fixtures it writes
are committed under src/model/testing/fixtures/onnx/<name>/ and read by src/model/onnx.test.ts.

How to run (Debian 12; PyPI is not needed, the `onnx` Python package is not needed):

    apt-get install -y python3-torch          # Debian's torch 1.13
    /usr/bin/python3 scripts/make-onnx-fixtures.py

It rewrites every fixture; with the same torch build the files come out byte for byte the
same (seeded), so `git status` shows only the models added or changed.

Made with torch 1.13.0a0 (Debian bookworm python3-torch 1.13.0+dfsg-3), opset 14, the
default exporter (torch.onnx.export, do_constant_folding=True).

For every model it writes, in <name>/:
    model.onnx       the export (weights inside the file, float32)
    inputs.json      10 inputs: {"x": [[frame, ...], ...]} or {"tokens": [[id, ...], ...]}
                     (one sequence each, without the batch axis)
    torch_ref.json   {"logits": [[...], ...]}: PyTorch's float32 logits for those inputs
and for a few models torch_state.json: the PyTorch state_dict (lists), so that a test can
rebuild the same network in Keras layout independently of the ONNX file.

Everything is seeded (torch.manual_seed per model); weights are PyTorch's random
initialisation, scaled by 2 so that the logits are not all close together.
"""
import json
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'model', 'testing', 'fixtures', 'onnx')
OPSET = 14


class Recurrent(nn.Module):
    """[flat input → view as frames →] rnn → (what `take` says) → head

    take: 'output' the last step of the output (out[:, -1] / out[-1]; for a bidirectional
    rnn the forward direction's last state next to the backward direction's FIRST step),
    'state' the last layer's final hidden state (h_n[-1]), 'state2' both directions' final
    states of the last bidirectional layer (torch.cat((h_n[-2], h_n[-1]), dim=1)), 'mean' /
    'max' / 'sum' every step pooled over time (out.mean(dim=t), out.max(dim=t).values, out.sum(dim=t)).
    view: (T, F) to read a flat input of T·F values as T frames of F (x.view(-1, T, F)).
    """

    def __init__(self, rnn, head, take='output', batch_first=False, embedding=None, view=None):
        super().__init__()
        self.embedding = embedding
        self.rnn = rnn
        self.head = head
        self.take = take
        self.batch_first = batch_first
        self.view = view

    def forward(self, x):
        if self.view is not None:
            x = x.view(-1, *self.view)
        if self.embedding is not None:
            x = self.embedding(x)
        out, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        t = 1 if self.batch_first else 0
        if self.take == 'output':
            last = out[:, -1, :] if self.batch_first else out[-1]
        elif self.take == 'state':
            last = h[-1]
        elif self.take == 'state2':
            last = torch.cat((h[-2], h[-1]), dim=1)
        elif self.take == 'mean':
            last = out.mean(dim=t)
        elif self.take == 'max':
            last = out.max(dim=t).values
        else:
            last = out.sum(dim=t)
        return self.head(last)


def scale(model, factor=2.0):
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(factor)


def frames_inputs(seed, n, T, F, binary=False):
    g = torch.Generator().manual_seed(1000 + seed)
    if binary:
        return (torch.rand(n, T, F, generator=g) < 0.3).float()
    return torch.round((torch.rand(n, T, F, generator=g) * 2 - 1) * 1000) / 1000


def token_inputs(seed, n, T, vocab):
    g = torch.Generator().manual_seed(1000 + seed)
    return torch.randint(0, vocab, (n, T), generator=g)


def rounded(v):
    return [round(float(a), 9) for a in v]


def write(name, model, inputs, batch_first, tokens=False, dynamic=False, state=False, flat=False):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    model.eval()
    # one sequence at a time, in the layout the model reads
    def batched(seq):
        return seq.unsqueeze(0) if batch_first or flat else seq.unsqueeze(1)
    example = batched(inputs[0])
    path = os.path.join(d, 'model.onnx')
    kwargs = {}
    in_name = 'tokens' if tokens else 'x'
    if dynamic and flat:
        kwargs['dynamic_axes'] = {in_name: {0: 'batch'}, 'logits': {0: 'batch'}}
    elif dynamic:
        axes = {0: 'batch', 1: 'time'} if batch_first else {0: 'time', 1: 'batch'}
        kwargs['dynamic_axes'] = {in_name: axes, 'logits': {0: 'batch'}}
    torch.onnx.export(model, (example,), path, opset_version=OPSET, input_names=[in_name], output_names=['logits'], **kwargs)
    with torch.no_grad():
        logits = [model(batched(s))[0].tolist() for s in inputs]
    key = 'tokens' if tokens else 'x'
    # whole numbers (token ids, binary pixels) without '.0'
    # a flat input: one row of T·F values per sequence
    data = json.loads(json.dumps([[s.tolist()] if flat else s.tolist() for s in inputs]).replace('.0,', ',').replace('.0]', ']'))
    with open(os.path.join(d, 'inputs.json'), 'w') as f:
        json.dump({key: data}, f, separators=(',', ':'))
    with open(os.path.join(d, 'torch_ref.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'opset': OPSET, 'logits': [rounded(l) for l in logits]}, f, separators=(',', ':'))
    if state:
        sd = {k: v.detach().reshape(-1).tolist() for k, v in model.state_dict().items()}
        shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
        with open(os.path.join(d, 'torch_state.json'), 'w') as f:
            json.dump({"shapes": shapes, "values": sd}, f, separators=(',', ':'))
    print(f'{name}: {os.path.getsize(path)} bytes')


def main():
    n = 10
    T, F, H, C = 6, 4, 8, 3

    torch.manual_seed(1)
    m = Recurrent(nn.RNN(F, H, nonlinearity='tanh'), nn.Linear(H, C))
    scale(m)
    write('rnn_tanh', m, frames_inputs(1, n, T, F), batch_first=False)

    torch.manual_seed(2)
    m = Recurrent(nn.RNN(F, H, nonlinearity='relu', batch_first=True), nn.Linear(H, C), batch_first=True)
    write('rnn_relu', m, frames_inputs(2, n, T, F), batch_first=True)

    torch.manual_seed(3)
    m = Recurrent(nn.LSTM(F, H), nn.Linear(H, C))
    scale(m)
    write('lstm', m, frames_inputs(3, n, T, F), batch_first=False, state=True)

    torch.manual_seed(4)
    m = Recurrent(nn.GRU(F, H, batch_first=True), nn.Linear(H, C), take='state', batch_first=True)
    scale(m)
    write('gru', m, frames_inputs(4, n, T, F), batch_first=True, state=True)

    torch.manual_seed(5)
    m = Recurrent(nn.LSTM(F, H, num_layers=2), nn.Linear(H, C), take='state')
    scale(m)
    write('lstm_2layer', m, frames_inputs(5, n, T, F), batch_first=False)

    torch.manual_seed(6)
    m = Recurrent(nn.GRU(F, H, num_layers=2, batch_first=True), nn.Linear(H, C), batch_first=True)
    scale(m)
    write('gru_2layer_dynamic', m, frames_inputs(6, n, T, F), batch_first=True, dynamic=True)

    torch.manual_seed(7)
    m = Recurrent(nn.LSTM(F, H, bidirectional=True), nn.Linear(2 * H, C))
    write('lstm_bidirectional', m, frames_inputs(7, n, T, F), batch_first=False)

    torch.manual_seed(8)
    m = Recurrent(nn.GRU(F, H, bidirectional=True, batch_first=True), nn.Linear(2 * H, C), batch_first=True)
    write('gru_bidirectional', m, frames_inputs(8, n, T, F), batch_first=True)

    torch.manual_seed(9)
    vocab, dim = 50, 8
    m = Recurrent(nn.LSTM(dim, H, batch_first=True), nn.Linear(H, 2), batch_first=True, embedding=nn.Embedding(vocab, dim))
    scale(m)
    write('text_lstm', m, token_inputs(9, n, 10, vocab), batch_first=True, tokens=True, dynamic=True)

    torch.manual_seed(10)
    m = Recurrent(nn.LSTM(28, H, batch_first=True), nn.Linear(H, 10), batch_first=True)
    scale(m)
    write('mnist_lstm_28x28', m, frames_inputs(10, n, 28, 28, binary=True), batch_first=True)

    torch.manual_seed(11)
    m = Recurrent(nn.GRU(112, 4, batch_first=True), nn.Linear(4, 10), take='state', batch_first=True)
    scale(m)
    write('mnist_gru_7x112', m, frames_inputs(11, n, 7, 112, binary=True), batch_first=True)

    torch.manual_seed(12)
    m = Recurrent(nn.LSTM(F, H), nn.Sequential(nn.Linear(H, 16), nn.ReLU(), nn.Linear(16, C)))
    scale(m)
    write('head_relu', m, frames_inputs(12, n, T, F), batch_first=False)

    torch.manual_seed(13)
    m = Recurrent(nn.GRU(F, H), nn.Sequential(nn.Linear(H, 16), nn.Tanh(), nn.Linear(16, 8), nn.Sigmoid(), nn.Linear(8, C)), take='state')
    scale(m)
    write('head_tanh_sigmoid', m, frames_inputs(13, n, T, F), batch_first=False)

    # bidirectional, pooling and a flat input (issue 17, second part)
    torch.manual_seed(14)
    m = Recurrent(nn.RNN(F, H, bidirectional=True), nn.Linear(2 * H, C))
    scale(m)
    write('rnn_bidirectional', m, frames_inputs(14, n, T, F), batch_first=False, state=True)

    torch.manual_seed(15)
    m = Recurrent(nn.GRU(F, H, num_layers=2, bidirectional=True, batch_first=True), nn.Linear(2 * H, C), take='state2', batch_first=True)
    scale(m)
    write('gru_bidirectional_2layer', m, frames_inputs(15, n, T, F), batch_first=True, state=True)

    torch.manual_seed(16)
    m = Recurrent(nn.GRU(F, H, batch_first=True), nn.Linear(H, C), take='mean', batch_first=True)
    scale(m)
    write('gru_mean', m, frames_inputs(16, n, T, F), batch_first=True, dynamic=True, state=True)

    torch.manual_seed(17)
    m = Recurrent(nn.LSTM(F, H, bidirectional=True), nn.Linear(2 * H, C), take='max')
    scale(m)
    write('lstm_bidirectional_max', m, frames_inputs(17, n, T, F), batch_first=False, state=True)

    torch.manual_seed(18)
    m = Recurrent(nn.GRU(28, H, batch_first=True), nn.Linear(H, 10), batch_first=True, view=(28, 28))
    scale(m)
    write('mnist_gru_flat784', m, frames_inputs(18, n, 28, 28, binary=True).reshape(n, 784), batch_first=True, dynamic=True, state=True, flat=True)

    torch.manual_seed(19)
    m = Recurrent(nn.GRU(F, H, batch_first=True), nn.Linear(H, C), take='sum', batch_first=True)
    write('gru_sum', m, frames_inputs(19, n, T, F), batch_first=True)


if __name__ == '__main__':
    main()
