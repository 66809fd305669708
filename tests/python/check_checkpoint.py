"""An independent reader of netinit's checkpoints: Python's safetensors and
numpy read the file `examples/checkpoint_reference.rs` wrote, check its
names, shapes, dtype and metadata, and compute the forward passes of the
card network, a convolutional one and a normalized one, which must match
netinit's to 1e-5. A wrong layout (a transposed
weight), a wrong name or a wrong dtype fails it."""

import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def main(directory):
    path = f"{directory}/card.safetensors"
    tensors = load_file(path)
    expected_shapes = {
        "layers.0.weight": (256, 784),
        "layers.0.bias": (256,),
        "layers.1.weight": (10, 256),
        "layers.1.bias": (10,),
    }
    assert sorted(tensors) == sorted(expected_shapes), sorted(tensors)
    for name, shape in expected_shapes.items():
        assert tensors[name].shape == shape, (name, tensors[name].shape)
        assert tensors[name].dtype == np.float32, (name, tensors[name].dtype)
    with safe_open(path, "np") as checkpoint:
        metadata = checkpoint.metadata()
    assert metadata["netinit.spec"] == "dense(784 -> 256, relu),\ndense(256 -> 10, softmax)", metadata
    assert metadata["netinit.seed"] == "0", metadata
    assert metadata["netinit.sampler"] == "philox4x32-boxmuller-2", metadata
    assert metadata["format"] == "pt", metadata

    inputs = np.fromfile(f"{directory}/inputs.f32", dtype="<f4").reshape(-1, 784)
    expected = np.fromfile(f"{directory}/outputs.f32", dtype="<f4").reshape(-1, 10)
    hidden = np.maximum(inputs @ tensors["layers.0.weight"].T + tensors["layers.0.bias"], 0.0)
    logits = hidden @ tensors["layers.1.weight"].T + tensors["layers.1.bias"]
    probabilities = softmax(logits)
    difference = float(np.max(np.abs(probabilities - expected)))
    assert difference < 1e-5, difference
    std = float(tensors["layers.0.weight"].std())
    print(f"python safetensors reads netinit's checkpoint: 4 tensors, forward pass within {difference:.1e}, "
          f"layer 0 weight std {std:.4f} (He: 0.0505)")
    check_cnn(directory)


def softmax(logits):
    """Each row's softmax, shifted by its largest value first."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)


def conv2d(x, weight, bias, padding):
    """PyTorch's Conv2d at stride 1: x (n, c, h, w), weight (out, c, kh, kw)."""
    out, _, kh, kw = weight.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, h, w = x.shape
    result = np.zeros((n, out, h - kh + 1, w - kw + 1), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            window = x[:, :, i:i + h - kh + 1, j:j + w - kw + 1]
            result += np.einsum("nchw,oc->nohw", window, weight[:, :, i, j])
    return result + bias[None, :, None, None]


def check_cnn(directory):
    """The convolutional reference network, computed as PyTorch would."""
    path = f"{directory}/cnn.safetensors"
    tensors = load_file(path)
    expected_shapes = {
        "layers.0.weight": (4, 2, 3, 3),
        "layers.0.bias": (4,),
        "layers.1.weight": (3, 4, 3, 3),
        "layers.1.bias": (3,),
        "layers.2.weight": (5, 18),
        "layers.2.bias": (5,),
    }
    assert {name: tensors[name].shape for name in tensors} == expected_shapes, tensors.keys()
    inputs = np.fromfile(f"{directory}/cnn_inputs.f32", dtype="<f4").reshape(-1, 2, 10, 8)
    expected = np.fromfile(f"{directory}/cnn_outputs.f32", dtype="<f4").reshape(-1, 5)
    x = np.tanh(conv2d(inputs, tensors["layers.0.weight"], tensors["layers.0.bias"], 1))
    n, c, h, w = x.shape
    x = x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    x = np.maximum(conv2d(x, tensors["layers.1.weight"], tensors["layers.1.bias"], 0), 0.0)
    logits = x.reshape(n, -1) @ tensors["layers.2.weight"].T + tensors["layers.2.bias"]
    probabilities = softmax(logits)
    difference = float(np.max(np.abs(probabilities - expected)))
    assert difference < 1e-5, difference
    print(f"python reads netinit's convolutional checkpoint: kernels (out, in, kh, kw), flatten in (C, H, W) order, "
          f"forward pass within {difference:.1e}")
    check_normalized(directory)


def check_normalized(directory):
    """A layer without biases and a layer normalization, as PyTorch's
    Linear(bias=False) and LayerNorm(16, eps=1e-3) compute them."""
    path = f"{directory}/normalized.safetensors"
    tensors = load_file(path)
    expected_shapes = {
        "layers.0.weight": (16, 12),
        "layers.1.weight": (16,),
        "layers.1.bias": (16,),
        "layers.2.weight": (4, 16),
        "layers.2.bias": (4,),
    }
    assert {name: tensors[name].shape for name in tensors} == expected_shapes, tensors.keys()
    gamma, beta = tensors["layers.1.weight"], tensors["layers.1.bias"]
    assert np.all(np.abs(gamma) <= 2.0) and np.std(gamma) > 0.1, gamma
    assert np.std(beta) > 0.05, beta
    inputs = np.fromfile(f"{directory}/normalized_inputs.f32", dtype="<f4").reshape(-1, 12).astype(np.float64)
    expected = np.fromfile(f"{directory}/normalized_outputs.f32", dtype="<f4").reshape(-1, 4)
    z = inputs @ tensors["layers.0.weight"].T
    h = z / (1.0 + np.exp(-z))
    mean = h.mean(axis=1, keepdims=True)
    variance = ((h - mean) ** 2).mean(axis=1, keepdims=True)
    h = np.tanh((h - mean) / np.sqrt(variance + 1e-3) * gamma + beta)
    logits = h @ tensors["layers.2.weight"].T + tensors["layers.2.bias"]
    probabilities = softmax(logits)
    difference = float(np.max(np.abs(probabilities - expected)))
    assert difference < 1e-5, difference
    print(f"python reads netinit's normalized checkpoint: no bias for bias = none, LayerNorm's weight and bias, "
          f"forward pass within {difference:.1e}")
    check_batch_norm(directory)


def batch_norm(x, tensors, prefix, eps):
    """PyTorch's BatchNorm in evaluation: each channel (axis 1) by its
    running statistics, then its weight and bias."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = tensors[f"{prefix}.running_mean"].reshape(shape)
    variance = tensors[f"{prefix}.running_var"].reshape(shape)
    weight, bias = tensors[f"{prefix}.weight"].reshape(shape), tensors[f"{prefix}.bias"].reshape(shape)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


def check_batch_norm(directory):
    """Batch normalizations over channels and features after training, in
    evaluation mode, as PyTorch's BatchNorm2d and BatchNorm1d compute them."""
    path = f"{directory}/batch_norm.safetensors"
    tensors = load_file(path)
    expected_shapes = {
        "layers.0.weight": (3, 2, 3, 3),
        "layers.1.weight": (3,),
        "layers.1.bias": (3,),
        "layers.1.running_mean": (3,),
        "layers.1.running_var": (3,),
        "layers.2.weight": (6, 48),
        "layers.2.bias": (6,),
        "layers.3.weight": (6,),
        "layers.3.bias": (6,),
        "layers.3.running_mean": (6,),
        "layers.3.running_var": (6,),
        "layers.4.weight": (3, 6),
        "layers.4.bias": (3,),
    }
    assert {name: tensors[name].shape for name in tensors} == expected_shapes, tensors.keys()
    # Trained: the running statistics moved away from 0 and 1.
    assert np.all(tensors["layers.1.running_mean"] != 0.0), tensors["layers.1.running_mean"]
    assert np.all(tensors["layers.3.running_var"] != 1.0), tensors["layers.3.running_var"]
    inputs = np.fromfile(f"{directory}/batch_norm_inputs.f32", dtype="<f4").reshape(-1, 2, 4, 4).astype(np.float64)
    expected = np.fromfile(f"{directory}/batch_norm_outputs.f32", dtype="<f4").reshape(-1, 3)
    x = conv2d(inputs, tensors["layers.0.weight"], np.zeros(3), 1)
    x = np.maximum(batch_norm(x, tensors, "layers.1", 1e-5), 0.0)
    x = np.tanh(x.reshape(x.shape[0], -1) @ tensors["layers.2.weight"].T + tensors["layers.2.bias"])
    x = batch_norm(x, tensors, "layers.3", 1e-3)
    probabilities = softmax(x @ tensors["layers.4.weight"].T + tensors["layers.4.bias"])
    difference = float(np.max(np.abs(probabilities - expected)))
    assert difference < 1e-5, difference
    print(f"python reads netinit's batch-normalized checkpoint: BatchNorm2d and BatchNorm1d with trained running "
          f"statistics, forward pass in evaluation within {difference:.1e}")


if __name__ == "__main__":
    main(sys.argv[1])
