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

/// An error of the cloud SDK.
public struct CloudError: Error, Sendable, CustomStringConvertible {
    /// What kind of error it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidArgument, notConnected, connectionFailed, refused, closed
        }

        private let base: Base

        /// An argument (topic, group, client ID) cannot be used.
        public static let invalidArgument = Code(base: .invalidArgument)
        /// The client has no connection now (it is reconnecting, or was never connected).
        public static let notConnected = Code(base: .notConnected)
        /// The connection could not be opened, or broke before the operation completed.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The broker refused the operation (a CONNACK, PUBACK or SUBACK reason code).
        public static let refused = Code(base: .refused)
        /// The client was closed.
        public static let closed = Code(base: .closed)

        public var description: String { "\(self.base)" }
    }

    /// What kind of error it is.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The MQTT reason code, when the broker refused something.
    public var reasonCode: UInt8?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of error it is.
    ///   - message: A human-readable explanation.
    ///   - reasonCode: The MQTT reason code, when the broker refused something.
    public init(_ code: Code, _ message: String, reasonCode: UInt8? = nil) {
        self.code = code
        self.message = message
        self.reasonCode = reasonCode
    }

    public var description: String {
        let reason = self.reasonCode.map { " (reason code 0x\(String($0, radix: 16)))" } ?? ""
        return "\(self.code): \(self.message)\(reason)"
    }
}
