#include "mail/mail_queue.h"

#include "base/log.h"
#include "base/strings.h"

namespace bulwark {

MailQueue::MailQueue(EmailStore& store, MailTransport* transport, Clock& clock, Random& random,
                     MailQueueOptions options)
    : store_(store), transport_(transport), clock_(clock), random_(random),
      options_(std::move(options)) {}

MailQueue::~MailQueue() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  if (worker_.joinable()) worker_.join();
}

std::string MailQueue::EnvelopeSender() const {
  std::string_view from = options_.from;
  size_t lt = from.rfind('<');
  size_t gt = from.rfind('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt) {
    return std::string(from.substr(lt + 1, gt - lt - 1));
  }
  return std::string(from);
}

absl::Status MailQueue::Enqueue(const MailMessage& message) {
  std::string sender = EnvelopeSender();
  std::string_view host = sender;
  host.remove_prefix(std::min(host.size(), host.find('@') + 1));
  BULWARK_ASSIGN_OR_RETURN(
      std::string body,
      BuildMimeMessage(message, options_.from, clock_.Now(), random_.Bytes(16), host));
  QueuedMail m;
  m.sender = std::move(sender);
  m.recipient = message.to;
  m.message = std::move(body);
  m.created = clock_.Now();
  m.next_attempt = m.created;
  BULWARK_ASSIGN_OR_RETURN(int64_t id, store_.EnqueueMail(m));
  LogInfo("mail %d queued for %s: %s", id, message.to, message.subject);
  absl::MutexLock l(&mu_);
  wake_ = true;
  return absl::OkStatus();
}

absl::StatusOr<int> MailQueue::Drain() {
  if (!transport_) return 0;
  absl::MutexLock drain(&drain_mu_);
  BULWARK_ASSIGN_OR_RETURN(std::vector<QueuedMail> due, store_.DueMail(clock_.Now(), 100));
  int sent = 0;
  for (const QueuedMail& m : due) {
    absl::Status s = transport_->Send(m.sender, m.recipient, m.message);
    const int attempts = m.attempts + 1;
    const absl::Time now = clock_.Now();
    if (s.ok()) {
      BULWARK_RETURN_IF_ERROR(store_.FinishAttempt(m.id, MailState::kSent, attempts, now, ""));
      LogInfo("mail %d sent to %s", m.id, m.recipient);
      ++sent;
      continue;
    }
    const bool permanent = absl::IsInvalidArgument(s) &&
                           attempts >= options_.permanent_failure_attempts;
    if (permanent || now - m.created >= options_.give_up_after) {
      LogWarning("mail %d to %s failed for good after %d attempts: %s", m.id, m.recipient,
                 attempts, s.ToString());
      BULWARK_RETURN_IF_ERROR(
          store_.FinishAttempt(m.id, MailState::kFailed, attempts, now, std::string(s.message())));
      continue;
    }
    // Exponential back-off (first_retry * 2^(attempts-1), capped), so an outage costs a
    // handful of connection attempts, not one per poll.
    absl::Duration wait = options_.first_retry;
    for (int i = 1; i < attempts && wait < options_.max_retry; ++i) wait *= 2;
    wait = std::min(wait, options_.max_retry);
    LogWarning("mail %d to %s not sent (attempt %d), retrying in %ds: %s", m.id, m.recipient,
               attempts, absl::ToInt64Seconds(wait), s.ToString());
    BULWARK_RETURN_IF_ERROR(
        store_.FinishAttempt(m.id, MailState::kQueued, attempts, now + wait, std::string(s.message())));
  }
  return sent;
}

void MailQueue::Start() {
  if (!transport_ || worker_.joinable()) return;
  worker_ = std::thread([this] { Run(); });
}

void MailQueue::Run() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), options_.poll);
      if (stop_) return;
      wake_ = false;
    }
    auto sent = Drain();
    if (!sent.ok()) LogWarning("mail queue: %s", sent.status().ToString());
  }
}

}  // namespace bulwark
