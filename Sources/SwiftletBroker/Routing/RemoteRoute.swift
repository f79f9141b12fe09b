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

/// Where messages go beyond this process: the other nodes of a cluster (DESIGN §10). To the
/// router, a remote node is one more kind of subscriber; the cluster (`SwiftletCluster`, over
/// NATS) implements this protocol and hands the messages it receives from other nodes back with
/// ``Broker/routeFromRemote(_:now:on:)``.
///
/// Interest is per distinct filter, reference-counted over every session of this node: the
/// cluster subscribes once per filter its clients hold, whatever their number, so a message
/// crosses the network once per interested node. Shared subscriptions keep their
/// `$share/{ShareName}/` prefix (a NATS queue group).
///
/// Every requirement must return quickly and never block: they are called on event loops, the
/// interest changes under the router's lock (so that the changes of one filter arrive in the order
/// they happened). An implementation queues the work for its own connection, and never calls
/// back into the broker from these requirements (the router's lock is not reentrant).
package protocol RemoteRoute: Sendable {
    /// The first subscription to `filter` on this node appeared.
    func interestAdded(filter: String)
    /// The last subscription to `filter` on this node went away.
    func interestRemoved(filter: String)
    /// A message published on this node (by a client, a will, a status event or the admin API),
    /// after it was routed here: send it to the nodes that want it. Not called for messages that
    /// came from another node, nor for a point-to-point message whose client is connected here.
    func forward(_ message: RoutedMessage)
}
