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

import SwiftletWebSocket
import Testing

@Suite("Close state machine")
struct CloseStateMachineTests {
    @Test("RFC 6455 §5.5.1: the peer closes first: echo its code, then shut down")
    func peerCloses() {
        var machine = WebSocketCloseStateMachine()
        #expect(machine.dataReceived() == .process)
        #expect(machine.canSendData)
        #expect(machine.closeReceived(code: .goingAway) == .sendCloseThenShutdown(.goingAway))
        #expect(machine.state == .closeReceived)
        #expect(!machine.canSendData)
        // Data after the close is ignored; a second close changes nothing.
        #expect(machine.dataReceived() == .ignore)
        #expect(machine.closeReceived(code: .normalClosure) == .none)
        #expect(machine.closeRequested(code: .normalClosure) == .none)
    }

    @Test("RFC 6455 §5.5.1, §7.4.1: a close without a code is answered with 1000")
    func peerClosesWithoutCode() {
        var machine = WebSocketCloseStateMachine()
        #expect(machine.closeReceived(code: nil) == .sendCloseThenShutdown(.normalClosure))
    }

    @Test("the server closes first: send once, then shut down when the peer answers")
    func serverCloses() {
        var machine = WebSocketCloseStateMachine()
        #expect(machine.closeRequested(code: .goingAway) == .sendClose(.goingAway))
        #expect(machine.state == .closeSent(.goingAway))
        #expect(!machine.canSendData)
        // RFC 6455 §5.5.1: never a second Close.
        #expect(machine.closeRequested(code: .normalClosure) == .none)
        #expect(machine.dataReceived() == .ignore)
        #expect(machine.closeReceived(code: .goingAway) == .shutdown)
        #expect(machine.state == .closed)
        #expect(machine.closeReceived(code: .goingAway) == .none)
    }

    @Test("RFC 6455 §7.1.7: failing an open connection sends a Close with the error's code")
    func failOpen() {
        var machine = WebSocketCloseStateMachine()
        #expect(machine.connectionFailed(code: .protocolError) == .sendCloseThenShutdown(.protocolError))
        #expect(machine.state == .closed)
        #expect(machine.closeRequested(code: .normalClosure) == .none)
        #expect(machine.dataReceived() == .ignore)
    }

    @Test("failing after a Close was sent or received does not send another")
    func failAfterClose() {
        var sent = WebSocketCloseStateMachine()
        _ = sent.closeRequested(code: .normalClosure)
        #expect(sent.connectionFailed(code: .protocolError) == .shutdown)

        var received = WebSocketCloseStateMachine()
        _ = received.closeReceived(code: .normalClosure)
        #expect(received.connectionFailed(code: .protocolError) == .shutdown)
    }
}
