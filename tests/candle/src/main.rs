//! candle reads netinit's checkpoints: `VarBuilder` loads the card
//! network's file with the shapes a candle model asks for (it fails on a
//! wrong name, shape or dtype), the forward pass in candle matches
//! netinit's to 1e-5, a convolutional network loads into candle's `Conv2d`
//! and matches too, so does a causal language model (embedding, position
//! table, attention, RMS normalization), and the sharded set loads through
//! its shard files.
//!
//! cargo run --manifest-path tests/candle/Cargo.toml -- target/checkpoint-reference

use std::error::Error;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{
    batch_norm, conv2d, conv2d_no_bias, layer_norm, linear, linear_no_bias, BatchNorm, Conv2d, Conv2dConfig,
    LayerNorm, Linear, ModuleT, VarBuilder,
};

/// The card network as a candle user writes it: `layers.0` and `layers.1`.
struct Card {
    hidden: Linear,
    head: Linear,
}

impl Card {
    fn load(builder: VarBuilder) -> candle_core::Result<Card> {
        let layers = builder.pp("layers");
        Ok(Card {
            hidden: linear(784, 256, layers.pp("0"))?,
            head: linear(256, 10, layers.pp("1"))?,
        })
    }

    fn forward(&self, inputs: &Tensor) -> candle_core::Result<Tensor> {
        let hidden = self.hidden.forward(inputs)?.relu()?;
        candle_nn::ops::softmax(&self.head.forward(&hidden)?, D::Minus1)
    }
}

/// The convolutional reference network as a candle user writes it.
struct Cnn {
    first: Conv2d,
    second: Conv2d,
    head: Linear,
}

impl Cnn {
    fn load(builder: VarBuilder) -> candle_core::Result<Cnn> {
        let layers = builder.pp("layers");
        let padded = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        Ok(Cnn {
            first: conv2d(2, 4, 3, padded, layers.pp("0"))?,
            second: conv2d(4, 3, 3, Default::default(), layers.pp("1"))?,
            head: linear(18, 5, layers.pp("2"))?,
        })
    }

    fn forward(&self, images: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.first.forward(images)?.tanh()?.max_pool2d(2)?;
        let x = self.second.forward(&x)?.relu()?.flatten_from(1)?;
        candle_nn::ops::softmax(&self.head.forward(&x)?, D::Minus1)
    }
}

/// The normalized reference network as a candle user writes it: a
/// linear layer without biases, a `LayerNorm` and its ε, an activation.
struct Normalized {
    first: Linear,
    norm: LayerNorm,
    head: Linear,
}

impl Normalized {
    fn load(builder: VarBuilder) -> candle_core::Result<Normalized> {
        let layers = builder.pp("layers");
        Ok(Normalized {
            first: linear_no_bias(12, 16, layers.pp("0"))?,
            norm: layer_norm(16, 1e-3, layers.pp("1"))?,
            head: linear(16, 4, layers.pp("2"))?,
        })
    }

    fn forward(&self, inputs: &Tensor) -> candle_core::Result<Tensor> {
        let x = candle_nn::ops::silu(&self.first.forward(inputs)?)?;
        let x = self.norm.forward(&x)?.tanh()?;
        candle_nn::ops::softmax(&self.head.forward(&x)?, D::Minus1)
    }
}

/// The batch-normalized reference network as a candle user writes it,
/// run in evaluation (`forward_t(…, false)`: the running statistics).
struct BatchNormalized {
    conv: Conv2d,
    channels: BatchNorm,
    hidden: Linear,
    features: BatchNorm,
    head: Linear,
}

impl BatchNormalized {
    fn load(builder: VarBuilder) -> candle_core::Result<BatchNormalized> {
        let layers = builder.pp("layers");
        let padded = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        Ok(BatchNormalized {
            conv: conv2d_no_bias(2, 3, 3, padded, layers.pp("0"))?,
            channels: batch_norm(3, 1e-5, layers.pp("1"))?,
            hidden: linear(48, 6, layers.pp("2"))?,
            features: batch_norm(6, 1e-3, layers.pp("3"))?,
            head: linear(6, 3, layers.pp("4"))?,
        })
    }

    fn forward(&self, images: &Tensor) -> candle_core::Result<Tensor> {
        let x = self
            .channels
            .forward_t(&self.conv.forward(images)?, false)?
            .relu()?;
        let x = self.hidden.forward(&x.flatten_from(1)?)?.tanh()?;
        let x = self.features.forward_t(&x, false)?;
        candle_nn::ops::softmax(&self.head.forward(&x)?, D::Minus1)
    }
}

/// The residual reference network (`tests/python/residual.net`) as a
/// candle user writes it: each block adds its branch to its input (or to
/// its shortcut's output), one block nested in another's branch.
struct Residual {
    linears: Vec<Linear>,
    shortcut: Linear,
    norms: [LayerNorm; 2],
}

impl Residual {
    fn load(builder: VarBuilder) -> candle_core::Result<Residual> {
        let layers = builder.pp("layers");
        let shapes = [(6, 8), (8, 16), (16, 8), (8, 4), (4, 4), (4, 4), (4, 4), (4, 3)];
        // Paths 1 and 9 are the norms, 5 the shortcut without biases.
        let paths = [0, 2, 3, 4, 6, 7, 8, 10];
        let linears = shapes
            .iter()
            .zip(paths)
            .map(|(&(inputs, outputs), path)| linear(inputs, outputs, layers.pp(path.to_string())))
            .collect::<candle_core::Result<Vec<Linear>>>()?;
        Ok(Residual {
            linears,
            shortcut: linear_no_bias(8, 4, layers.pp("5"))?,
            norms: [
                layer_norm(8, 1e-5, layers.pp("1"))?,
                layer_norm(4, 1e-5, layers.pp("9"))?,
            ],
        })
    }

    fn forward(&self, inputs: &Tensor) -> candle_core::Result<Tensor> {
        let l = &self.linears;
        let x = l[0].forward(inputs)?.tanh()?;
        // Pre-norm: x + W₂ gelu(W₁ LayerNorm(x)).
        let branch = l[1].forward(&self.norms[0].forward(&x)?)?.gelu_erf()?;
        let x = (&x + l[2].forward(&branch)?)?;
        // A shortcut: relu(W₃ x) + S x.
        let x = (l[3].forward(&x)?.relu()? + self.shortcut.forward(&x)?)?;
        // A block nested in the branch, which ends in a LayerNorm.
        let inner = l[4].forward(&x)?.tanh()?;
        let inner = (&inner + candle_nn::ops::silu(&l[5].forward(&inner)?)?)?;
        let branch = self.norms[1].forward(&l[6].forward(&inner)?)?;
        let x = (&x + branch)?.relu()?;
        candle_nn::ops::softmax(&l[7].forward(&x)?, D::Minus1)
    }
}

/// Multi-head self-attention as a candle user writes it: four `Linear`s
/// named `q`, `k`, `v`, `o`, the heads split, `softmax(q kᵀ/√d) v` with a
/// causal mask of -∞ above the diagonal.
struct Attention {
    projections: [Linear; 4],
    heads: usize,
}

impl Attention {
    fn load(features: usize, heads: usize, builder: VarBuilder) -> candle_core::Result<Attention> {
        let projection = |name: &str| linear(features, features, builder.pp(name));
        Ok(Attention {
            projections: [
                projection("q")?,
                projection("k")?,
                projection("v")?,
                projection("o")?,
            ],
            heads,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (n, t, d) = x.dims3()?;
        let head = d / self.heads;
        let split = |y: Tensor| y.reshape((n, t, self.heads, head))?.transpose(1, 2)?.contiguous();
        let [q, k, v, o] = &self.projections;
        let (q, k, v) = (
            split(q.forward(x)?)?,
            split(k.forward(x)?)?,
            split(v.forward(x)?)?,
        );
        let scores = (q.matmul(&k.t()?)? / (head as f64).sqrt())?;
        let mask: Vec<f32> = (0..t * t)
            .map(|at| if at % t > at / t { f32::NEG_INFINITY } else { 0.0 })
            .collect();
        let scores = scores.broadcast_add(&Tensor::from_vec(mask, (t, t), x.device())?)?;
        let mixed = candle_nn::ops::softmax(&scores, D::Minus1)?.matmul(&v)?;
        o.forward(&mixed.transpose(1, 2)?.reshape((n, t, d))?)
    }
}

/// The language model of `tests/python/language_model.net` as a candle
/// user writes it: candle's `Embedding`, the position table read as a
/// tensor, `LayerNorm`, `RmsNorm`, and the attention above.
struct LanguageModel {
    embedding: candle_nn::Embedding,
    positions: Tensor,
    norms: [LayerNorm; 2],
    rms: candle_nn::RmsNorm,
    attention: Attention,
    mlp: [Linear; 2],
    head: Linear,
}

impl LanguageModel {
    fn load(builder: VarBuilder) -> candle_core::Result<LanguageModel> {
        let layers = builder.pp("layers");
        Ok(LanguageModel {
            embedding: candle_nn::embedding(11, 8, layers.pp("0"))?,
            positions: layers.pp("1").get((6, 8), "weight")?,
            norms: [
                layer_norm(8, 1e-5, layers.pp("2"))?,
                layer_norm(8, 1e-5, layers.pp("7"))?,
            ],
            attention: Attention::load(8, 2, layers.pp("3"))?,
            rms: candle_nn::rms_norm(8, 1e-5, layers.pp("4"))?,
            mlp: [linear(8, 16, layers.pp("5"))?, linear(16, 8, layers.pp("6"))?],
            head: linear(8, 11, layers.pp("8"))?,
        })
    }

    /// Token ids `(n, T)` in, one distribution per token `(n·T, V)` out.
    fn forward(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.embedding.forward(ids)?.broadcast_add(&self.positions)?;
        let x = (&x + self.attention.forward(&self.norms[0].forward(&x)?)?)?;
        let branch = self.mlp[0].forward(&self.rms.forward(&x)?)?.gelu_erf()?;
        let x = (&x + self.mlp[1].forward(&branch)?)?;
        let logits = self.head.forward(&self.norms[1].forward(&x)?)?;
        candle_nn::ops::softmax(&logits.flatten_to(1)?, D::Minus1)
    }
}

/// A little-endian f32 file as a `(rows, width)` tensor.
fn read_f32(path: &Path, width: usize) -> Result<Tensor, Box<dyn Error>> {
    let bytes = std::fs::read(path)?;
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|word| f32::from_le_bytes([word[0], word[1], word[2], word[3]]))
        .collect();
    let rows = values.len() / width;
    Ok(Tensor::from_vec(values, (rows, width), &Device::Cpu)?)
}

/// Files of `directory` whose names satisfy `keep`, sorted.
fn files(directory: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(directory)? {
        let path = entry?.path();
        if path.file_name().and_then(|name| name.to_str()).is_some_and(&keep) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

fn main() -> Result<(), Box<dyn Error>> {
    let directory = PathBuf::from(std::env::args().nth(1).ok_or("usage: candle-reader DIRECTORY")?);
    let device = Device::Cpu;

    // SAFETY (candle's contract for memory-mapped files): nothing writes
    // these files while they are mapped.
    let builder = unsafe {
        VarBuilder::from_mmaped_safetensors(&[directory.join("card.safetensors")], DType::F32, &device)?
    };
    let card = Card::load(builder)?;
    let inputs = read_f32(&directory.join("inputs.f32"), 784)?;
    let expected = read_f32(&directory.join("outputs.f32"), 10)?;
    let outputs = card.forward(&inputs)?;
    let difference = (outputs - &expected)?.abs()?.max_all()?.to_scalar::<f32>()?;
    if difference >= 1e-5 {
        return Err(format!("candle's forward pass differs from netinit's by {difference}").into());
    }

    // SAFETY: as above.
    let builder = unsafe {
        VarBuilder::from_mmaped_safetensors(&[directory.join("cnn.safetensors")], DType::F32, &device)?
    };
    let cnn = Cnn::load(builder)?;
    let images = read_f32(&directory.join("cnn_inputs.f32"), 2 * 10 * 8)?;
    let images = images.reshape((images.dim(0)?, 2, 10, 8))?;
    let expected = read_f32(&directory.join("cnn_outputs.f32"), 5)?;
    let cnn_difference = (cnn.forward(&images)? - &expected)?
        .abs()?
        .max_all()?
        .to_scalar::<f32>()?;
    if cnn_difference >= 1e-5 {
        return Err(
            format!("candle's Conv2d forward pass differs from netinit's by {cnn_difference}").into(),
        );
    }

    // SAFETY: as above.
    let builder = unsafe {
        VarBuilder::from_mmaped_safetensors(&[directory.join("normalized.safetensors")], DType::F32, &device)?
    };
    let normalized = Normalized::load(builder)?;
    let rows = read_f32(&directory.join("normalized_inputs.f32"), 12)?;
    let expected = read_f32(&directory.join("normalized_outputs.f32"), 4)?;
    let normalized_difference = (normalized.forward(&rows)? - &expected)?
        .abs()?
        .max_all()?
        .to_scalar::<f32>()?;
    if normalized_difference >= 1e-5 {
        return Err(format!(
            "candle's LayerNorm forward pass differs from netinit's by {normalized_difference}"
        )
        .into());
    }

    // SAFETY: as above.
    let builder = unsafe {
        VarBuilder::from_mmaped_safetensors(&[directory.join("batch_norm.safetensors")], DType::F32, &device)?
    };
    let batch_normalized = BatchNormalized::load(builder)?;
    let images = read_f32(&directory.join("batch_norm_inputs.f32"), 2 * 4 * 4)?;
    let images = images.reshape((images.dim(0)?, 2, 4, 4))?;
    let expected = read_f32(&directory.join("batch_norm_outputs.f32"), 3)?;
    let batch_norm_difference = (batch_normalized.forward(&images)? - &expected)?
        .abs()?
        .max_all()?
        .to_scalar::<f32>()?;
    if batch_norm_difference >= 1e-5 {
        return Err(format!(
            "candle's BatchNorm forward pass differs from netinit's by {batch_norm_difference}"
        )
        .into());
    }

    // SAFETY: as above.
    let builder = unsafe {
        VarBuilder::from_mmaped_safetensors(&[directory.join("residual.safetensors")], DType::F32, &device)?
    };
    let residual = Residual::load(builder)?;
    let rows = read_f32(&directory.join("residual_inputs.f32"), 6)?;
    let expected = read_f32(&directory.join("residual_outputs.f32"), 3)?;
    let residual_difference = (residual.forward(&rows)? - &expected)?
        .abs()?
        .max_all()?
        .to_scalar::<f32>()?;
    if residual_difference >= 1e-5 {
        return Err(format!(
            "candle's residual forward pass differs from netinit's by {residual_difference}"
        )
        .into());
    }

    // SAFETY: as above.
    let builder = unsafe {
        VarBuilder::from_mmaped_safetensors(
            &[directory.join("language_model.safetensors")],
            DType::F32,
            &device,
        )?
    };
    let language_model = LanguageModel::load(builder)?;
    let ids = read_f32(&directory.join("language_model_inputs.f32"), 6)?.to_dtype(DType::U32)?;
    let expected = read_f32(&directory.join("language_model_outputs.f32"), 11)?;
    let language_model_difference = (language_model.forward(&ids)? - &expected)?
        .abs()?
        .max_all()?
        .to_scalar::<f32>()?;
    if language_model_difference >= 1e-5 {
        return Err(format!(
            "candle's language model forward pass differs from netinit's by {language_model_difference}"
        )
        .into());
    }

    // The sharded set: every shard file, as candle takes a model split in
    // several files; each tensor must equal the single file's, bit for bit.
    let shards = files(&directory.join("sharded"), |name| name.ends_with(".safetensors"))?;
    if shards.len() < 2 {
        return Err(format!("expected several shards, found {}", shards.len()).into());
    }
    let whole = candle_core::safetensors::load(directory.join("whole.safetensors"), &device)?;
    // SAFETY: as above.
    let sharded = unsafe { VarBuilder::from_mmaped_safetensors(&shards, DType::F32, &device)? };
    let mut compared = 0;
    for (name, tensor) in &whole {
        let from_shards = sharded.get(tensor.shape().clone(), name)?;
        let same = tensor.dims() == from_shards.dims()
            && tensor.flatten_all()?.to_vec1::<f32>()? == from_shards.flatten_all()?.to_vec1::<f32>()?;
        if !same {
            return Err(format!("`{name}` from the shards differs from the single file's").into());
        }
        compared += 1;
    }
    println!(
        "candle reads netinit's checkpoints: VarBuilder loads the card network, forward pass within {difference:.1e}; \
         the convolutional one into Conv2d layers, within {cnn_difference:.1e}; a layer without biases and a \
         LayerNorm, within {normalized_difference:.1e}; two BatchNorms with trained running statistics, in \
         evaluation, within {batch_norm_difference:.1e}; residual blocks (pre-norm, a shortcut, nested), within \
         {residual_difference:.1e}; a causal language model (Embedding, RmsNorm, attention), within \
         {language_model_difference:.1e}; {compared} tensors from {} shards equal the single file's",
        shards.len()
    );
    Ok(())
}
