//===----------------------------------------------------------------------===//
//
// This source file is part of the Swiftlet open source project
//
// Copyright (c) 2026 the Swiftlet authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// The rates a `--ramp` run steps through, and the rule that says whether a step held.
///
/// Steps multiply the rate by ``factor`` from ``startRate`` up to ``maximumRate``. A step holds
/// when the publishers reached at least 95 % of its rate, fewer than ``maximumLossFraction`` of
/// the expected deliveries were lost, and p99 latency stayed within ``maximumP99Microseconds``.
/// The ramp stops at the first step that does not hold; the answer is the last step that did.
package struct RampPlan: Hashable, Sendable {
    package var startRate: Double
    package var factor: Double
    package var maximumRate: Double
    package var maximumLossFraction: Double
    package var maximumP99Microseconds: UInt64
    /// The publishers must reach this fraction of the target rate.
    package var minimumAchievedFraction: Double = 0.95

    package init(
        startRate: Double,
        factor: Double,
        maximumRate: Double,
        maximumLossFraction: Double = 0.001,
        maximumP99Microseconds: UInt64 = 100_000
    ) {
        self.startRate = startRate
        self.factor = factor
        self.maximumRate = maximumRate
        self.maximumLossFraction = maximumLossFraction
        self.maximumP99Microseconds = maximumP99Microseconds
    }

    /// Parses `START:FACTOR:MAX`, such as `1000:1.5:200000`.
    package init?(parsing text: String, maximumLossFraction: Double = 0.001, maximumP99Microseconds: UInt64 = 100_000) {
        let parts = text.split(separator: ":").map { Double($0) }
        guard parts.count == 3, let start = parts[0], let factor = parts[1], let maximum = parts[2],
            start > 0, factor > 1, maximum >= start
        else { return nil }
        self.init(
            startRate: start, factor: factor, maximumRate: maximum, maximumLossFraction: maximumLossFraction,
            maximumP99Microseconds: maximumP99Microseconds)
    }

    /// Every step's rate, at most 64 steps.
    package var rates: [Double] {
        var rates: [Double] = []
        var rate = self.startRate
        while rate <= self.maximumRate * (1 + 1e-9), rates.count < 64 {
            rates.append(rate.rounded())
            rate *= self.factor
        }
        return rates
    }

    /// What one step measured, as far as the rule is concerned.
    package struct StepOutcome: Hashable, Sendable {
        package var targetRate: Double
        package var achievedRate: Double
        package var lossFraction: Double
        package var p99Microseconds: UInt64

        package init(targetRate: Double, achievedRate: Double, lossFraction: Double, p99Microseconds: UInt64) {
            self.targetRate = targetRate
            self.achievedRate = achievedRate
            self.lossFraction = lossFraction
            self.p99Microseconds = p99Microseconds
        }
    }

    /// Why a step did not hold, or `nil` if it held.
    package func failure(of step: StepOutcome) -> String? {
        if step.achievedRate < step.targetRate * self.minimumAchievedFraction {
            return "publishers reached \(Int(step.achievedRate))/s of \(Int(step.targetRate))/s"
        }
        if !(step.lossFraction < self.maximumLossFraction) {
            return "loss \(step.lossFraction * 100)% ≥ \(self.maximumLossFraction * 100)%"
        }
        if step.p99Microseconds > self.maximumP99Microseconds {
            return "p99 \(step.p99Microseconds) µs > \(self.maximumP99Microseconds) µs"
        }
        return nil
    }

    /// The highest rate that held, given the steps in the order they ran, stopping at the first
    /// that failed; `nil` if the first step failed.
    package func highestSustained(_ steps: [StepOutcome]) -> StepOutcome? {
        var best: StepOutcome?
        for step in steps {
            guard self.failure(of: step) == nil else { break }
            best = step
        }
        return best
    }
}
