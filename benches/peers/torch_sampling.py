# PyTorch's init on the shapes of benches/sampling.rs (2 threads, the median of
# repeated calls), to run alternately with `cargo bench --bench sampling`:
#     /tmp/torch-peer/bin/python benches/peers/torch_sampling.py
import statistics, time, torch
torch.set_num_threads(2)
def median_ms(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3
for rows, cols, reps in [(4096, 4096, 30), (256, 784, 300)]:
    w = torch.empty(rows, cols)
    pre = median_ms(lambda: torch.nn.init.kaiming_normal_(w, nonlinearity="relu"), reps)
    fresh = median_ms(lambda: torch.nn.init.kaiming_normal_(torch.empty(rows, cols), nonlinearity="relu"), reps)
    print(f"kaiming_normal_ {rows}x{cols}: preallocated {pre:.3f} ms, fresh {fresh:.3f} ms")
w = torch.empty(4096, 4096)
print(f"uniform_ 4096x4096: {median_ms(lambda: torch.nn.init.uniform_(w, -0.1, 0.1), 30):.3f} ms")
for n, reps in [(512, 20), (1024, 10), (2048, 5)]:
    w = torch.empty(n, n)
    print(f"orthogonal_ {n}: {median_ms(lambda: torch.nn.init.orthogonal_(w), reps):.1f} ms")
