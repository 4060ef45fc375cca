// The witness lease's timing: the constants, and the proof that the old holder always
// stops before anyone else can start.
//
// Who is involved. The holder H and the other node O each run a LeaseClient; the
// witness W runs the WitnessServer. Each of them measures time only with its own
// monotonic clock. Nothing assumes that two clocks agree on a reading; we assume only
// that each clock's RATE is within ρ of real time: over any real interval Δ it
// advances by at least Δ(1 − ρ) and at most Δ(1 + ρ). Message delays are unbounded
// (and may be zero); messages may be lost, duplicated or reordered.
//
// The rules the code follows (T = kLeaseTermMs, D = kClockDriftMarginMs,
// G = kWitnessGraceMs):
//   (C) H reads its clock, s_r, BEFORE it sends request r. When a reply GRANTING r
//       arrives, H holds the lease until its clock reads s_r + T − D (and counts the
//       latest such end over all its granted requests). holds_lease() compares the
//       live clock with that end, so it is false at every instant after it, whether
//       or not any callback ran there (a frozen process that resumes included).
//   (W) W grants r at its clock reading c_r, after receiving r; H's term at W then
//       ends at c_r + T at the earliest. W grants to a DIFFERENT node only once its
//       clock reads at least (end of H's latest term) + G; and after W (re)starts at
//       its clock reading b, it grants to nobody before b + T + G (it has forgotten
//       who held the lease, but every term it granted began before b).
//   (O) O holds only after receiving a grant, which W sent after deciding it.
//
// The proof. Let r be the granted request that sets H's lease end (the largest
// s_r + T − D); write t(·) for the real time of an event.
//   1. Causality: t(H reads s_r) ≤ t(H sends r) ≤ t(W receives r) ≤ t(W reads c_r).
//      After a restart, likewise t(W reads c_r) < t(W reads b) for every earlier term.
//   2. H's clock runs slow by at most ρ, so it reads s_r + T − D no later than
//          t(s_r) + (T − D) / (1 − ρ).
//   3. W's clock runs fast by at most ρ, so it reads c_r + T + G (or b + T + G) no
//      earlier than t(c_r) + (T + G) / (1 + ρ) ≥ t(s_r) + (T + G) / (1 + ρ), by 1.
//   4. O's lease starts at the earliest when W grants it (the reply takes ≥ 0), so
//      the real time from the end of H's lease to the start of O's is at least
//          gap = (T + G) / (1 + ρ) − (T − D) / (1 − ρ)  >  S = kStepDownMs > 0.
//      With the values below: 12 200 / 1.001 − 9 900 / 0.999 ≈ 12 187.8 − 9 909.9
//      = 2 277.9 ms > 2 000 ms. The static_assert checks it in exact integers.
// So H's holds_lease() turns false strictly before O's can turn true, at least S of
// real time earlier. S is the node's budget, once holds_lease() turned false (it
// stops acknowledging writes at that instant), to finish dropping the VIP before the
// other node may add it.
//
// Why a drift margin at both ends: D alone would need D > 2ρT/(1 − ρ) (≈ 20 ms here)
// and leave nothing for the VIP; G alone would make W's wait carry everything. D makes
// the holder stop a little early even with a perfect witness; G is mostly S.
//
// What ρ covers: quartz error (≤ 100 ppm on server boards), NTP / W32Time slewing the
// monotonic clock's rate (Linux caps its adjustment at 500 ppm), virtual machines'
// clock sources; 1 000 ppm leaves room above all of these. What it cannot cover: a
// monotonic clock that STOPS while the machine is suspended (Linux CLOCK_MONOTONIC in
// S3 suspend); the production io::Clock must count suspended time for (C) to hold.
#pragma once

#include <cstdint>

namespace hamirror::core::witness {

// How long one grant lasts, from the moment the request was sent (client) or granted
// (witness). Well under the heartbeat timeout (30 s by default), so by the time a
// node decides its peer is gone, the peer's lease has already run out at the witness.
constexpr std::int64_t kLeaseTermMs = 10'000;

// A client sends one request per interval while it wants the lease (renewals of a
// held lease included); a lost datagram is retried by the next one.
constexpr std::int64_t kRenewIntervalMs = 1'000;

// The bound ρ on each monotonic clock's rate error, in parts per million.
constexpr std::int64_t kClockDriftMarginPpm = 1'000;

// The client ends its lease this long before the term measured from the send (D).
constexpr std::int64_t kClockDriftMarginMs = 100;

// The real time a node has, once its lease ended, to stop acknowledging writes and
// drop the VIP before the other node can be granted the lease (S).
constexpr std::int64_t kStepDownMs = 2'000;

// The witness's extra wait, after a holder's term ended by its clock, before it
// grants the lease to the other node (G): the step-down budget plus the drift at
// both ends.
constexpr std::int64_t kWitnessGraceMs = kStepDownMs + 2 * kClockDriftMarginMs;

// A lease survives this many consecutive lost requests (or replies) before it runs out.
constexpr std::int64_t kMinRenewalsPerTerm = 5;

// Step 4 of the proof: gap > step_down, exactly. Multiplying both sides by
// (1 + ρ)(1 − ρ)·10¹² (positive) gives integers only:
//   (T + G)(10⁶ − p)·10⁶ − (T − D)(10⁶ + p)·10⁶ > S(10¹² − p²),   p = ρ in ppm.
// Every term stays below 2⁶³ for terms up to hours (ms × 10¹² ≤ 10¹⁸ means T + G up to
// about 10⁶ ms); the arguments are asserted within that.
constexpr bool holder_stops_first(std::int64_t term_ms, std::int64_t client_margin_ms, std::int64_t witness_grace_ms,
                                  std::int64_t step_down_ms, std::int64_t drift_ppm) {
  constexpr std::int64_t kMillion = 1'000'000;
  if (term_ms <= 0 || client_margin_ms < 0 || client_margin_ms >= term_ms) return false;
  if (witness_grace_ms < 0 || step_down_ms < 0 || step_down_ms > kMillion) return false;
  if (drift_ppm < 0 || drift_ppm >= kMillion / 2) return false;
  if (term_ms + witness_grace_ms > kMillion) return false;  // outside the overflow-free range
  const std::int64_t witness_side = (term_ms + witness_grace_ms) * (kMillion - drift_ppm) * kMillion;
  const std::int64_t holder_side = (term_ms - client_margin_ms) * (kMillion + drift_ppm) * kMillion;
  return witness_side - holder_side > step_down_ms * (kMillion * kMillion - drift_ppm * drift_ppm);
}

static_assert(holder_stops_first(kLeaseTermMs, kClockDriftMarginMs, kWitnessGraceMs, kStepDownMs, kClockDriftMarginPpm),
              "the old holder must stop, and have kStepDownMs to drop the VIP, before the witness may grant again");
static_assert(kStepDownMs > 0, "the order must be strict");
static_assert(kClockDriftMarginMs > 0 && kLeaseTermMs - kClockDriftMarginMs > 0);
static_assert((kLeaseTermMs - kClockDriftMarginMs) / kRenewIntervalMs >= kMinRenewalsPerTerm,
              "renewals must be frequent enough to survive a few lost datagrams");

}  // namespace hamirror::core::witness
