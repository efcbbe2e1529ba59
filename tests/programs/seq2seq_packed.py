"""A sequence-to-sequence GRU that learns to reverse token sequences, in the manner of the
PyTorch chatbot tutorial: a bidirectional encoder over ``pack_padded_sequence`` /
``pad_packed_sequence`` (time-major batches sorted by length), a decoder run one step at a
time with teacher forcing, a masked NLL loss (``gather`` and ``masked_select``), two Adam
optimizers, ``clip_grad_norm_`` and a greedy search decoder.

Adjustments for comparing runs: the weights start from a fixed NumPy stream (``init_weights``
below, instead of torch's random initialisation), the data comes from a NumPy generator, and
teacher forcing is always on (the tutorial draws ``random.random()`` against a ratio); each
would otherwise read a random stream that differs between libraries.
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD_token, SOS_token, EOS_token = 0, 1, 2
VOCAB = 12
MAX_LENGTH = 8
device = torch.device("cpu")


def make_pairs(n, rng):
    """``n`` (sequence, reversed sequence) pairs, lengths 3 to 6 in turn (so each batch of
    eight holds two of each length)."""
    pairs = []
    for i in range(n):
        length = 3 + i % 4
        seq = [int(t) for t in rng.integers(3, VOCAB, size=length)]
        pairs.append((seq, seq[::-1]))
    return pairs


def zeroPadding(batch, fillvalue=PAD_token):
    """Time-major padding: a list of lists becomes a (max_len, batch) tensor."""
    longest = max(len(seq) for seq in batch)
    return [[seq[t] if t < len(seq) else fillvalue for seq in batch] for t in range(longest)]


def batch2TrainData(pair_batch):
    pair_batch.sort(key=lambda p: len(p[0]), reverse=True)
    inputs = [p[0] + [EOS_token] for p in pair_batch]
    outputs = [p[1] + [EOS_token] for p in pair_batch]
    lengths = torch.tensor([len(seq) for seq in inputs])
    inp = torch.LongTensor(zeroPadding(inputs))
    max_target_len = max(len(seq) for seq in outputs)
    target = torch.LongTensor(zeroPadding(outputs))
    mask = target != PAD_token
    return inp, lengths, target, mask, max_target_len


class EncoderRNN(nn.Module):
    def __init__(self, hidden_size, embedding, n_layers=1, dropout=0):
        super().__init__()
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.embedding = embedding
        self.gru = nn.GRU(
            hidden_size,
            hidden_size,
            n_layers,
            dropout=(0 if n_layers == 1 else dropout),
            bidirectional=True,
        )

    def forward(self, input_seq, input_lengths, hidden=None):
        embedded = self.embedding(input_seq)
        packed = nn.utils.rnn.pack_padded_sequence(embedded, input_lengths)
        outputs, hidden = self.gru(packed, hidden)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs)
        outputs = outputs[:, :, : self.hidden_size] + outputs[:, :, self.hidden_size :]
        return outputs, hidden


class DecoderRNN(nn.Module):
    def __init__(self, embedding, hidden_size, output_size, n_layers=1):
        super().__init__()
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.embedding = embedding
        self.gru = nn.GRU(hidden_size, hidden_size, n_layers)
        self.concat = nn.Linear(hidden_size * 2, hidden_size)
        self.out = nn.Linear(hidden_size, output_size)

    def forward(self, input_step, last_hidden, encoder_outputs):
        embedded = self.embedding(input_step)
        rnn_output, hidden = self.gru(embedded, last_hidden)
        # Luong "dot" attention over the encoder outputs.
        energies = torch.sum(rnn_output * encoder_outputs, dim=2).t()
        attn_weights = F.softmax(energies, dim=1).unsqueeze(1)
        context = attn_weights.bmm(encoder_outputs.transpose(0, 1))
        rnn_output = rnn_output.squeeze(0)
        context = context.squeeze(1)
        concat_output = torch.tanh(self.concat(torch.cat((rnn_output, context), 1)))
        output = F.softmax(self.out(concat_output), dim=1)
        return output, hidden


def maskNLLLoss(inp, target, mask):
    nTotal = mask.sum()
    crossEntropy = -torch.log(torch.gather(inp, 1, target.view(-1, 1)).squeeze(1))
    loss = crossEntropy.masked_select(mask).mean()
    loss = loss.to(device)
    return loss, nTotal.item()


def train(
    input_variable,
    lengths,
    target_variable,
    mask,
    max_target_len,
    encoder,
    decoder,
    encoder_optimizer,
    decoder_optimizer,
    batch_size,
    clip,
):
    encoder_optimizer.zero_grad()
    decoder_optimizer.zero_grad()

    loss = 0
    print_losses = []
    n_totals = 0

    encoder_outputs, encoder_hidden = encoder(input_variable, lengths)
    decoder_input = torch.LongTensor([[SOS_token for _ in range(batch_size)]])
    decoder_hidden = encoder_hidden[: decoder.n_layers]

    for t in range(max_target_len):
        decoder_output, decoder_hidden = decoder(decoder_input, decoder_hidden, encoder_outputs)
        decoder_input = target_variable[t].view(1, -1)
        mask_loss, nTotal = maskNLLLoss(decoder_output, target_variable[t], mask[t])
        loss += mask_loss
        print_losses.append(mask_loss.item() * nTotal)
        n_totals += nTotal

    loss.backward()
    _ = nn.utils.clip_grad_norm_(encoder.parameters(), clip)
    _ = nn.utils.clip_grad_norm_(decoder.parameters(), clip)
    encoder_optimizer.step()
    decoder_optimizer.step()
    return sum(print_losses) / n_totals


class GreedySearchDecoder(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, input_seq, input_length, max_length):
        encoder_outputs, encoder_hidden = self.encoder(input_seq, input_length)
        decoder_hidden = encoder_hidden[: self.decoder.n_layers]
        decoder_input = torch.ones(1, 1, device=device, dtype=torch.long) * SOS_token
        all_tokens = torch.zeros([0], device=device, dtype=torch.long)
        all_scores = torch.zeros([0], device=device)
        for _ in range(max_length):
            decoder_output, decoder_hidden = self.decoder(
                decoder_input, decoder_hidden, encoder_outputs
            )
            decoder_scores, decoder_input = torch.max(decoder_output, dim=1)
            all_tokens = torch.cat((all_tokens, decoder_input), dim=0)
            all_scores = torch.cat((all_scores, decoder_scores), dim=0)
            decoder_input = torch.unsqueeze(decoder_input, 0)
        return all_tokens, all_scores


def init_weights(model, rng):
    for name, p in model.named_parameters():
        with torch.no_grad():
            if "embedding" in name:
                p.copy_(torch.from_numpy(rng.normal(0.0, 1.0, tuple(p.shape))))
            else:
                k = 1.0 / math.sqrt(p.shape[-1] if p.dim() > 1 else p.shape[0] / 3)
                p.copy_(torch.from_numpy(rng.uniform(-k, k, tuple(p.shape))))


hidden_size = 16
batch_size = 8
clip = 50.0
learning_rate = 0.01
decoder_learning_ratio = 5.0
n_iteration = 12
print_every = 3

data_rng = np.random.default_rng(7)
pairs = make_pairs(batch_size * n_iteration, data_rng)
training_batches = [
    batch2TrainData(pairs[i * batch_size : (i + 1) * batch_size]) for i in range(n_iteration)
]
inp, lengths, target, mask, max_target_len = training_batches[0]
print("input_variable:", inp)
print("lengths:", lengths)
print("target_variable:", target)
print("mask:", mask)
print("max_target_len:", max_target_len)

torch.manual_seed(0)
embedding = nn.Embedding(VOCAB, hidden_size)
encoder = EncoderRNN(hidden_size, embedding, n_layers=1)
decoder = DecoderRNN(embedding, hidden_size, VOCAB, n_layers=1)
init_rng = np.random.default_rng(11)
init_weights(encoder, init_rng)
init_weights(decoder, init_rng)
encoder = encoder.to(device)
decoder = decoder.to(device)

encoder.train()
decoder.train()
encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=learning_rate)
decoder_optimizer = torch.optim.Adam(
    decoder.parameters(), lr=learning_rate * decoder_learning_ratio
)

print_loss = 0
for iteration in range(1, n_iteration + 1):
    input_variable, lengths, target_variable, mask, max_target_len = training_batches[iteration - 1]
    loss = train(
        input_variable,
        lengths,
        target_variable,
        mask,
        max_target_len,
        encoder,
        decoder,
        encoder_optimizer,
        decoder_optimizer,
        batch_size,
        clip,
    )
    print_loss += loss
    if iteration % print_every == 0:
        print_loss_avg = print_loss / print_every
        print(
            "Iteration: {}; Percent complete: {:.1f}%; Average loss: {:.4f}".format(
                iteration, iteration / n_iteration * 100, print_loss_avg
            )
        )
        print_loss = 0

encoder.eval()
decoder.eval()
searcher = GreedySearchDecoder(encoder, decoder)
with torch.no_grad():
    for seq in ([3, 4, 5], [9, 8, 7, 6, 5]):
        indexes_batch = [seq + [EOS_token]]
        lengths = torch.tensor([len(indexes) for indexes in indexes_batch])
        input_batch = torch.LongTensor(indexes_batch).transpose(0, 1)
        tokens, scores = searcher(input_batch, lengths, MAX_LENGTH)
        print(seq, "->", tokens.tolist(), [round(s, 3) for s in scores.tolist()])
print(encoder)
print(decoder)
