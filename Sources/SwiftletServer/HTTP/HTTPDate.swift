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
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP dates in the preferred format, IMF-fixdate (RFC 9110 §5.6.7), e.g.
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Formatting is plain arithmetic on the proleptic Gregorian calendar (no locale, no Foundation),
/// so it is cheap enough to run for every response.
package enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The IMF-fixdate of `secondsSince1970` (UTC). Times before 1970 are clamped to the epoch.
    package static func format(secondsSince1970: Int64) -> String {
        let seconds = max(secondsSince1970, 0)
        let days = seconds / 86_400
        let secondOfDay = Int(seconds % 86_400)
        // 1970-01-01 was a Thursday.
        let weekday = Int((days + 4) % 7)
        let (year, month, day) = Self.civilDate(daysSince1970: days)
        return "\(Self.weekdays[weekday]), \(Self.twoDigits(day)) \(Self.months[month - 1]) \(year) "
            + "\(Self.twoDigits(secondOfDay / 3600)):\(Self.twoDigits(secondOfDay / 60 % 60)):"
            + "\(Self.twoDigits(secondOfDay % 60)) GMT"
    }

    /// The IMF-fixdate of the current wall-clock time, for the `Date` field (RFC 9110 §6.6.1).
    package static func now() -> String {
        Self.format(secondsSince1970: Int64(time(nil)))
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// Year, month (1...12) and day (1...31) of a day count since 1970-01-01.
    ///
    /// Howard Hinnant's `civil_from_days` (http://howardhinnant.github.io/date_algorithms.html),
    /// restricted to non-negative day counts.
    private static func civilDate(daysSince1970: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = daysSince1970 + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
