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

extension MQTTConnectionHandler {
    /// The connect status event doubles as the connection's description for the admin API: it
    /// already holds everything the API shows, and exists exactly while the client is accepted.
    package var connectInfo: StatusEvent? { connectEvent }

    /// The transport once the client was accepted, without building the whole ``connectInfo``
    /// (the admin API's stats ask every session for it).
    package var acceptedTransport: String? { acceptance == nil ? nil : transport }
}
