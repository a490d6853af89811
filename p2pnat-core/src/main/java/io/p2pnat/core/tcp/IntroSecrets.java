package io.p2pnat.core.tcp;

import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.secure.SecureChannel;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * The end-to-end Noise channel of each introduction being punched (one per introduction, shared
 * by its streams) and the listener's answer a stream's authentication brought: the
 * {@link StreamHandshake} behind every {@link StreamSetup} of a {@link TcpEngine}.
 */
final class IntroSecrets implements StreamHandshake {
    private final Identity identity;
    private final Random random;
    private final Map<Long, SecureChannel> secures = new HashMap<>();
    private final Map<Long, byte[]> answers = new HashMap<>();

    /** @param identity ours, or null: no handshake rides on the streams */
    IntroSecrets(Identity identity, Random random) {
        this.identity = identity;
        this.random = random;
    }

    /** The introduction's secure channel, made on first use; null without an identity or a peer key. */
    private SecureChannel secureFor(Introduction intro) {
        if (identity == null || intro.remoteKey() == null) {
            return null;
        }
        return secures.computeIfAbsent(intro.introId(), id -> new SecureChannel(intro.dialer(), identity,
                intro.remoteKey(), ByteBuffer.allocate(8).putLong(intro.introId()).array(), random));
    }

    @Override
    public byte[] offer(Introduction intro) {
        SecureChannel sc = secureFor(intro);
        return sc == null || sc.established() || !intro.dialer() ? null : sc.firstMessage();
    }

    @Override
    public byte[] answer(Introduction intro, byte[] firstMessage) {
        SecureChannel sc = secureFor(intro);
        try {
            return sc == null ? null : sc.onHandshake(firstMessage);
        } catch (SecureChannel.SecureChannelException e) {
            return null; // not the key the server vouched for: the stream's handshake decides
        }
    }

    @Override
    public void answered(Introduction intro, byte[] answer) {
        // Kept, not read now: reading it is key work, and a socket driver doing it on its selector
        // thread would hold back the other streams' answers past the hairpin grace (§3.3.2).
        answers.putIfAbsent(intro.introId(), answer.clone());
    }

    /** The channel and answer of a chosen stream's introduction (null: no channel), then forgets it. */
    EarlyHandshake take(Introduction intro) {
        SecureChannel secure = secureFor(intro);
        byte[] answer = answers.get(intro.introId());
        forget(intro.introId());
        return secure == null ? null : new EarlyHandshake(secure, answer);
    }

    void forget(long introId) {
        secures.remove(introId);
        answers.remove(introId);
    }
}
