package awslocal

import "sort"

// PendingSubscription is a subscription waiting for confirmation: what the
// confirmation message SNS sends would tell its recipient.
type PendingSubscription struct {
	ARN, TopicARN, Protocol, Endpoint, Token string
}

// PendingSubscriptions lists the subscriptions waiting for confirmation, by
// ARN, so that `loadgen demo` can show the confirmation e-mails
// that AWS would send.
func (s *Server) PendingSubscriptions() []PendingSubscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PendingSubscription
	for _, sub := range s.subs {
		if sub.pending {
			out = append(out, PendingSubscription{ARN: sub.arn, TopicARN: sub.topicARN, Protocol: sub.protocol, Endpoint: sub.endpoint, Token: sub.token})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}
