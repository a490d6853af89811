package io.p2pnat.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the decoder with Jazzer (libFuzzer). {@code mvn test} runs it in
 * fuzzing mode ({@code JAZZER_FUZZ=1}, set by this module's surefire "fuzz" execution) for
 * {@code p2pnat.fuzz.seconds} (default 5): {@code -Dp2pnat.fuzz.seconds=600} fuzzes longer.
 * Seeds, and any crashing inputs Jazzer finds, live in
 * {@code src/test/resources/io/p2pnat/wire/StunDecoderFuzzTestInputs/decode/} and replay as
 * regression tests when not fuzzing. See {@link StunFuzzChecks} for the properties.
 */
class StunDecoderFuzzTest {
  @FuzzTest(maxDuration = "5s")
  void decode(byte[] data) {
    StunFuzzChecks.check(data);
  }
}
