// The circuit breaker of the agent's SIP targets, and the share of calls that goes to the AI.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "twiml_redirect/routing/breaker.hpp"

namespace twiml_redirect::routing {
namespace {

using std::chrono::seconds;
using time_point = circuit_breaker::time_point;

constexpr std::string_view kUs = "sip.us.synthflow.ai:32681";
constexpr std::string_view kEu = "sip.eu.synthflow.ai:32681";

// A fixed origin, so every test reads its times as offsets from it.
const time_point kT0 = time_point{} + std::chrono::hours(1000);
time_point at(long long s) { return kT0 + seconds(s); }

breaker_settings settings(unsigned trip_after = 5, long long window_s = 60, long long cooldown_s = 30,
                          unsigned probe_every = 5, unsigned recover_after = 3) {
  return {.trip_after = trip_after,
          .window = seconds(window_s),
          .cooldown = seconds(cooldown_s),
          .probe_every = probe_every,
          .recover_after = recover_after};
}

// "CA" and 32 hex digits, the counter in the low ones: a CallSid's shape.
std::string synthetic_sid(std::uint64_t counter) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string sid = "CA" + std::string(32, '0');
  for (std::size_t i = sid.size(); counter != 0 && i > 2; --i, counter >>= 4) sid[i - 1] = kHex[counter & 0xF];
  return sid;
}

// Opens `breaker` (default settings) at `when` with five failures.
void trip(circuit_breaker& breaker, time_point when) {
  for (int i = 0; i < 5; ++i) breaker.record(leg_outcome::failure, when);
  ASSERT_EQ(breaker.state(), breaker_state::open);
}

// ---- classify_agent_leg -------------------------------------------------------------------------

TEST(ClassifyAgentLeg, CompletedAndAnsweredAreSuccesses) {
  EXPECT_EQ(classify_agent_leg("completed"), leg_outcome::success);
  EXPECT_EQ(classify_agent_leg("answered"), leg_outcome::success);
}

TEST(ClassifyAgentLeg, FailedNoAnswerAndBusyAreFailures) {
  EXPECT_EQ(classify_agent_leg("failed"), leg_outcome::failure);
  EXPECT_EQ(classify_agent_leg("no-answer"), leg_outcome::failure);
  EXPECT_EQ(classify_agent_leg("busy"), leg_outcome::failure);
}

TEST(ClassifyAgentLeg, CanceledNeverCounts) {
  EXPECT_EQ(classify_agent_leg("canceled"), leg_outcome::ignored);
}

TEST(ClassifyAgentLeg, UnknownStatusesAreIgnored) {
  EXPECT_EQ(classify_agent_leg(""), leg_outcome::ignored);
  EXPECT_EQ(classify_agent_leg("Completed"), leg_outcome::ignored);
  EXPECT_EQ(classify_agent_leg("no_answer"), leg_outcome::ignored);
  EXPECT_EQ(classify_agent_leg("ringing"), leg_outcome::ignored);
}

TEST(BreakerState, Names) {
  EXPECT_EQ(to_string(breaker_state::closed), "closed");
  EXPECT_EQ(to_string(breaker_state::half_open), "half_open");
  EXPECT_EQ(to_string(breaker_state::open), "open");
}

// ---- circuit_breaker: closed ----------------------------------------------------------------------

TEST(CircuitBreaker, StartsClosedAndAdmitsEveryCall) {
  circuit_breaker breaker(settings());
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  for (int i = 0; i < 10; ++i) {
    const admission a = breaker.admit(at(i));
    EXPECT_TRUE(a.try_target);
    EXPECT_FALSE(a.probe);
  }
  EXPECT_FALSE(breaker.take_transition());
}

TEST(CircuitBreaker, OpensAfterTripAfterFailuresWithinTheWindow) {
  circuit_breaker breaker(settings());
  for (int i = 0; i < 4; ++i) {
    breaker.record(leg_outcome::failure, at(i * 10));
    EXPECT_EQ(breaker.state(), breaker_state::closed) << "after failure " << i + 1;
    EXPECT_FALSE(breaker.take_transition());
  }
  breaker.record(leg_outcome::failure, at(59));  // the first is 59 s old: still within 60 s
  EXPECT_EQ(breaker.state(), breaker_state::open);
  EXPECT_FALSE(breaker.admit(at(59)).try_target);
}

// Another replica's mark: a closed breaker opens until that replica's cooldown ends, then probes as
// usual; one already open or probing goes on by its own outcomes.
TEST(CircuitBreaker, OpenedByAnotherReplicaUntilItsCooldownEnds) {
  circuit_breaker breaker(settings(5, 60, 30));
  breaker.record(leg_outcome::failure, at(0));  // one failure of its own, not enough
  breaker.open_shared(at(1), std::chrono::milliseconds(10'000));
  EXPECT_EQ(breaker.state(), breaker_state::open);
  const auto opened = breaker.take_transition();
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->from, breaker_state::closed);
  EXPECT_EQ(opened->failures_in_window, 1u);
  EXPECT_FALSE(breaker.admit(at(10)).try_target) << "9 s of the other replica's 10 s left";
  const admission probe = breaker.admit(at(11));
  EXPECT_TRUE(probe.try_target);
  EXPECT_TRUE(probe.probe);
  EXPECT_EQ(breaker.state(), breaker_state::half_open);
  breaker.open_shared(at(12), std::chrono::milliseconds(30'000));
  EXPECT_EQ(breaker.state(), breaker_state::half_open) << "probing: its own probes decide";
  EXPECT_FALSE(breaker.take_transition().has_value());

  circuit_breaker other(settings(5, 60, 30));
  other.open_shared(at(0), std::chrono::hours(5));  // a mark longer than this replica's cooldown
  EXPECT_FALSE(other.admit(at(29)).try_target);
  EXPECT_TRUE(other.admit(at(30)).try_target) << "at most one cooldown of its own";
}

TEST(BreakerRegistry, OpenSharedNamesItsTransitionAndKeepsOtherTargets) {
  breaker_registry registry(settings(5, 60, 30));
  registry.track(kEu);
  const auto transition = registry.open_shared(kUs, at(0), std::chrono::milliseconds(20'000));
  ASSERT_TRUE(transition.has_value());
  EXPECT_EQ(transition->to, breaker_state::open);
  EXPECT_FALSE(registry.open_shared(kUs, at(1), std::chrono::milliseconds(20'000)).has_value()) << "open already";
  EXPECT_EQ(registry.states(), (std::vector<std::pair<std::string, breaker_state>>{
                                   {std::string(kEu), breaker_state::closed}, {std::string(kUs), breaker_state::open}}));
  EXPECT_EQ(registry.settings().cooldown, seconds(30));
}

TEST(CircuitBreaker, DoesNotOpenWithFailuresSpreadWiderThanTheWindow) {
  circuit_breaker breaker(settings());
  // One failure every 15 s: at most 4 of them within any 60 s.
  for (int i = 0; i < 40; ++i) breaker.record(leg_outcome::failure, at(i * 15));
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  EXPECT_FALSE(breaker.take_transition());
  // A failure exactly `window` old has left the window.
  circuit_breaker edge(settings());
  for (int i = 0; i < 4; ++i) edge.record(leg_outcome::failure, at(0));
  edge.record(leg_outcome::failure, at(60));
  EXPECT_EQ(edge.state(), breaker_state::closed);
}

TEST(CircuitBreaker, SuccessesDoNotClearTheWindow) {
  circuit_breaker breaker(settings());
  for (int i = 0; i < 5; ++i) {
    breaker.record(leg_outcome::failure, at(i));
    if (i < 4) breaker.record(leg_outcome::success, at(i));
  }
  EXPECT_EQ(breaker.state(), breaker_state::open);
}

TEST(CircuitBreaker, IgnoredOutcomesNeverCount) {
  circuit_breaker breaker(settings(1));
  for (int i = 0; i < 100; ++i) breaker.record(leg_outcome::ignored, at(0));
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  EXPECT_FALSE(breaker.take_transition());
  breaker.record(classify_agent_leg("canceled"), at(0));
  EXPECT_EQ(breaker.state(), breaker_state::closed);

  // Nor do they move a half-open breaker either way.
  circuit_breaker half(settings(1, 60, 30, 1, 1));
  half.record(leg_outcome::failure, at(0));
  ASSERT_TRUE(half.admit(at(30)).probe);
  ASSERT_EQ(half.state(), breaker_state::half_open);
  half.record(leg_outcome::ignored, at(31));
  EXPECT_EQ(half.state(), breaker_state::half_open);
}

TEST(CircuitBreaker, ReportsTheTransitionOnceWithItsCounts) {
  circuit_breaker breaker(settings(3));
  breaker.record(leg_outcome::failure, at(0));
  breaker.record(leg_outcome::failure, at(1));
  EXPECT_FALSE(breaker.take_transition());
  breaker.record(leg_outcome::failure, at(2));
  const std::optional<breaker_transition> opened = breaker.take_transition();
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->from, breaker_state::closed);
  EXPECT_EQ(opened->to, breaker_state::open);
  EXPECT_EQ(opened->failures_in_window, 3U);
  EXPECT_EQ(opened->successes, 0U);
  EXPECT_FALSE(breaker.take_transition());
}

TEST(CircuitBreaker, ATransitionIsOnlyThatOfTheLastCall) {
  circuit_breaker breaker(settings(1));
  breaker.record(leg_outcome::failure, at(0));
  breaker.admit(at(1));  // still open: changes nothing, so the opening is no longer reported
  EXPECT_FALSE(breaker.take_transition());
}

// ---- circuit_breaker: open and half-open ------------------------------------------------------------

TEST(CircuitBreaker, OpenRefusesUntilTheCooldown) {
  circuit_breaker breaker(settings());
  trip(breaker, at(0));
  breaker.take_transition();
  for (int s = 0; s < 30; ++s) {
    const admission a = breaker.admit(at(s));
    EXPECT_FALSE(a.try_target) << s;
    EXPECT_FALSE(a.probe) << s;
    EXPECT_EQ(breaker.state(), breaker_state::open);
  }
  const admission first = breaker.admit(at(30));
  EXPECT_TRUE(first.try_target);
  EXPECT_TRUE(first.probe);
  EXPECT_EQ(breaker.state(), breaker_state::half_open);
  const std::optional<breaker_transition> t = breaker.take_transition();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, breaker_state::open);
  EXPECT_EQ(t->to, breaker_state::half_open);
}

TEST(CircuitBreaker, HalfOpenAdmitsOneCallInProbeEveryAsAProbe) {
  circuit_breaker breaker(settings());
  trip(breaker, at(0));
  std::vector<int> tried;
  for (int call = 1; call <= 16; ++call) {
    const admission a = breaker.admit(at(100));
    EXPECT_EQ(a.try_target, a.probe);
    if (a.try_target) tried.push_back(call);
  }
  EXPECT_EQ(tried, (std::vector<int>{1, 6, 11, 16}));
  EXPECT_EQ(breaker.state(), breaker_state::half_open);
}

TEST(CircuitBreaker, HalfOpenFailureReopensForANewCooldown) {
  circuit_breaker breaker(settings());
  trip(breaker, at(0));
  ASSERT_TRUE(breaker.admit(at(30)).probe);
  breaker.record(leg_outcome::success, at(31));
  breaker.record(leg_outcome::failure, at(40));
  EXPECT_EQ(breaker.state(), breaker_state::open);
  const std::optional<breaker_transition> t = breaker.take_transition();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, breaker_state::half_open);
  EXPECT_EQ(t->to, breaker_state::open);
  EXPECT_EQ(t->failures_in_window, 1U);
  EXPECT_EQ(t->successes, 1U);
  EXPECT_FALSE(breaker.admit(at(69)).try_target);  // cooldown counts from the reopening
  EXPECT_TRUE(breaker.admit(at(70)).probe);
  // The success before the reopening no longer counts towards closing.
  breaker.record(leg_outcome::success, at(71));
  breaker.record(leg_outcome::success, at(72));
  EXPECT_EQ(breaker.state(), breaker_state::half_open);
}

TEST(CircuitBreaker, RecoverAfterSuccessesCloseIt) {
  circuit_breaker breaker(settings());
  trip(breaker, at(0));
  ASSERT_TRUE(breaker.admit(at(30)).probe);
  breaker.take_transition();
  breaker.record(leg_outcome::success, at(31));
  breaker.record(leg_outcome::success, at(32));
  EXPECT_EQ(breaker.state(), breaker_state::half_open);
  EXPECT_FALSE(breaker.take_transition());
  breaker.record(leg_outcome::success, at(33));
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  const std::optional<breaker_transition> t = breaker.take_transition();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, breaker_state::half_open);
  EXPECT_EQ(t->to, breaker_state::closed);
  EXPECT_EQ(t->successes, 3U);
  EXPECT_FALSE(breaker.take_transition());

  // Closed afresh: the window starts empty, it takes trip_after new failures to open again.
  EXPECT_TRUE(breaker.admit(at(34)).try_target);
  for (int i = 0; i < 4; ++i) breaker.record(leg_outcome::failure, at(35));
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  breaker.record(leg_outcome::failure, at(35));
  EXPECT_EQ(breaker.state(), breaker_state::open);
}

TEST(CircuitBreaker, OutcomesRecordedWhileOpenAreIgnored) {
  circuit_breaker breaker(settings());
  trip(breaker, at(0));
  breaker.take_transition();
  for (int i = 0; i < 10; ++i) {
    breaker.record(leg_outcome::success, at(1));
    breaker.record(leg_outcome::failure, at(1));
  }
  EXPECT_EQ(breaker.state(), breaker_state::open);
  EXPECT_FALSE(breaker.take_transition());
  EXPECT_TRUE(breaker.admit(at(30)).probe);  // and the cooldown was not restarted
}

TEST(CircuitBreaker, ZeroCountsAreTakenAsOne) {
  circuit_breaker breaker(settings(0, 60, 30, 0, 0));
  breaker.record(leg_outcome::failure, at(0));
  EXPECT_EQ(breaker.state(), breaker_state::open);
  EXPECT_TRUE(breaker.admit(at(30)).probe);
  EXPECT_TRUE(breaker.admit(at(30)).probe);
  breaker.record(leg_outcome::success, at(31));
  EXPECT_EQ(breaker.state(), breaker_state::closed);
}

TEST(CircuitBreaker, ReconfigureKeepsTheStateAndUsesTheNewNumbers) {
  circuit_breaker breaker(settings());
  for (int i = 0; i < 4; ++i) breaker.record(leg_outcome::failure, at(i));
  breaker.reconfigure(settings(2));
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  breaker.record(leg_outcome::failure, at(5));
  EXPECT_EQ(breaker.state(), breaker_state::open);
  const std::optional<breaker_transition> t = breaker.take_transition();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->failures_in_window, 2U);
}

// ---- breaker_registry ---------------------------------------------------------------------------------

TEST(BreakerRegistry, IsolatesTargets) {
  breaker_registry registry(settings(2));
  EXPECT_FALSE(registry.record(kUs, leg_outcome::failure, at(0)));
  const std::optional<breaker_transition> t = registry.record(kUs, leg_outcome::failure, at(1));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, breaker_state::open);
  EXPECT_EQ(t->failures_in_window, 2U);

  EXPECT_FALSE(registry.admit(kUs, at(2)).admission.try_target);
  const breaker_registry::admit_result eu = registry.admit(kEu, at(2));
  EXPECT_TRUE(eu.admission.try_target);
  EXPECT_FALSE(eu.admission.probe);
  EXPECT_FALSE(eu.transition);
  EXPECT_FALSE(registry.record(kEu, leg_outcome::failure, at(2)));
}

TEST(BreakerRegistry, AdmitReportsTheMoveToHalfOpen) {
  breaker_registry registry(settings(1));
  registry.record(kUs, leg_outcome::failure, at(0));
  const breaker_registry::admit_result r = registry.admit(kUs, at(30));
  EXPECT_TRUE(r.admission.try_target);
  EXPECT_TRUE(r.admission.probe);
  ASSERT_TRUE(r.transition);
  EXPECT_EQ(r.transition->from, breaker_state::open);
  EXPECT_EQ(r.transition->to, breaker_state::half_open);
  EXPECT_FALSE(registry.admit(kUs, at(30)).transition);
}

TEST(BreakerRegistry, StatesAreSortedByTarget) {
  breaker_registry registry(settings(1));
  registry.admit("sip.z.example:5060", at(0));
  registry.record(kUs, leg_outcome::failure, at(0));
  registry.admit(kEu, at(0));
  const std::vector<std::pair<std::string, breaker_state>> expected = {
      {std::string(kEu), breaker_state::closed},
      {std::string(kUs), breaker_state::open},
      {"sip.z.example:5060", breaker_state::closed},
  };
  EXPECT_EQ(registry.states(), expected);
}

TEST(BreakerRegistry, CapsTheNumberOfTargets) {
  breaker_registry registry(settings(1));
  for (std::size_t i = 0; i < breaker_registry::kMaxTargets; ++i)
    registry.admit("target-" + std::to_string(i), at(0));
  EXPECT_EQ(registry.states().size(), breaker_registry::kMaxTargets);

  // Beyond the cap: always tried, nothing recorded, nothing added.
  EXPECT_FALSE(registry.record("one-too-many", leg_outcome::failure, at(0)));
  const breaker_registry::admit_result r = registry.admit("one-too-many", at(0));
  EXPECT_TRUE(r.admission.try_target);
  EXPECT_FALSE(r.admission.probe);
  EXPECT_FALSE(r.transition);
  EXPECT_EQ(registry.states().size(), breaker_registry::kMaxTargets);

  // Known targets still work.
  EXPECT_TRUE(registry.record("target-7", leg_outcome::failure, at(0)));
  EXPECT_FALSE(registry.admit("target-7", at(1)).admission.try_target);
}

TEST(BreakerRegistry, ReconfigureAppliesToPresentAndFutureTargets) {
  breaker_registry registry(settings(5));
  registry.record(kUs, leg_outcome::failure, at(0));
  registry.reconfigure(settings(2, 60, 10));
  ASSERT_EQ(registry.states().front().second, breaker_state::closed);
  ASSERT_TRUE(registry.record(kUs, leg_outcome::failure, at(1)));  // 2 failures now trip it
  EXPECT_FALSE(registry.admit(kUs, at(10)).admission.try_target);
  EXPECT_TRUE(registry.admit(kUs, at(11)).admission.probe);  // the new 10 s cooldown

  registry.record(kEu, leg_outcome::failure, at(0));
  EXPECT_TRUE(registry.record(kEu, leg_outcome::failure, at(0)));
}

TEST(BreakerRegistry, ConcurrentAdmitsAndRecords) {
  breaker_registry registry(settings(3, 60, 1, 2, 2));
  constexpr std::array<std::string_view, 3> kTargets = {kUs, kEu, "sip.au.synthflow.ai:32681"};
  std::atomic<int> transitions{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string_view target = kTargets[static_cast<std::size_t>(i + t) % kTargets.size()];
        const time_point now = at(i / 10);
        if (registry.admit(target, now).transition) ++transitions;
        const leg_outcome outcome = (i + t) % 3 == 0 ? leg_outcome::success : leg_outcome::failure;
        if (registry.record(target, outcome, now)) ++transitions;
        if (i % 100 == 0) {
          EXPECT_LE(registry.states().size(), kTargets.size());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(registry.states().size(), kTargets.size());
  EXPECT_GT(transitions.load(), 0);
}

// ---- goes_to_ai ---------------------------------------------------------------------------------------

TEST(GoesToAi, ExtremesIgnoreTheCallSid) {
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const std::string sid = synthetic_sid(i);
    EXPECT_TRUE(goes_to_ai(sid, 1.0));
    EXPECT_TRUE(goes_to_ai(sid, 1.5));
    EXPECT_FALSE(goes_to_ai(sid, 0.0));
    EXPECT_FALSE(goes_to_ai(sid, -0.2));
    EXPECT_FALSE(goes_to_ai(sid, std::numeric_limits<double>::quiet_NaN()));
  }
}

TEST(GoesToAi, IsStableForACallSid) {
  constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
  const bool first = goes_to_ai(kSid, 0.5);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(goes_to_ai(std::string(kSid), 0.5), first);
  // A larger share never takes a call away from the AI.
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const std::string sid = synthetic_sid(i);
    if (goes_to_ai(sid, 0.2)) {
      EXPECT_TRUE(goes_to_ai(sid, 0.7)) << sid;
    }
  }
}

TEST(GoesToAi, PinnedValuesNeverChange) {
  // The hash must be the same on every replica and release: these positions in [0, 1) were computed
  // independently (FNV-1a 64 then fmix64). "" hashes to the FNV offset basis 0xcbf29ce484222325 and
  // "a" to 0xaf63dc4c8601ec8c before the finalizer (the published FNV test vectors).
  EXPECT_TRUE(goes_to_ai("", 0.9368));   // 0.93677
  EXPECT_FALSE(goes_to_ai("", 0.9367));
  EXPECT_TRUE(goes_to_ai("a", 0.5103));  // 0.51029
  EXPECT_FALSE(goes_to_ai("a", 0.5102));
  EXPECT_TRUE(goes_to_ai("CA0123456789abcdef0123456789abcdef", 0.0871));  // 0.08707
  EXPECT_FALSE(goes_to_ai("CA0123456789abcdef0123456789abcdef", 0.0870));
}

TEST(GoesToAi, ShareOfManyCallSidsMatchesTheSetting) {
  constexpr int kCalls = 100000;
  int to_ai = 0;
  for (std::uint64_t i = 0; i < kCalls; ++i) to_ai += goes_to_ai(synthetic_sid(i), 0.3) ? 1 : 0;
  const double share = static_cast<double>(to_ai) / kCalls;
  EXPECT_GE(share, 0.29);
  EXPECT_LE(share, 0.31);
}

TEST(GoesToAi, SyntheticCallSidsHaveTheRightShape) {
  EXPECT_EQ(synthetic_sid(0), "CA00000000000000000000000000000000");
  EXPECT_EQ(synthetic_sid(0xabc), "CA00000000000000000000000000000abc");
}

}  // namespace
}  // namespace twiml_redirect::routing
