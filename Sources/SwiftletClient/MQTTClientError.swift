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

/// Why a client connection failed or closed.
package struct MQTTClientError: Error, Hashable, Sendable, CustomStringConvertible {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }

    static let connectTimeout = MQTTClientError("no CONNACK within the connect timeout")
    static let closedBeforeConnAck = MQTTClientError("the connection closed before CONNACK")
}
