package awslocal

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func TestSNSEmailSubscription(t *testing.T) {
	f := newFixture(t, Options{})
	ct, err := f.sns.CreateTopic(ctxT(t), &sns.CreateTopicInput{Name: aws.String("Default_CloudWatch_Alarms_Topic")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	topic := aws.ToString(ct.TopicArn)
	if topic != "arn:aws:sns:us-east-1:000000000000:Default_CloudWatch_Alarms_Topic" {
		t.Errorf("topic ARN %s", topic)
	}
	again, _ := f.sns.CreateTopic(ctxT(t), &sns.CreateTopicInput{Name: aws.String("Default_CloudWatch_Alarms_Topic")})
	if aws.ToString(again.TopicArn) != topic {
		t.Errorf("CreateTopic is not idempotent")
	}
	lt, err := f.sns.ListTopics(ctxT(t), &sns.ListTopicsInput{})
	if err != nil || len(lt.Topics) != 1 || aws.ToString(lt.Topics[0].TopicArn) != topic {
		t.Errorf("ListTopics = %+v, %v", lt, err)
	}

	// An e-mail subscription waits for confirmation: the classic silent
	// failure of the chapter.
	sub, err := f.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("email"), Endpoint: aws.String("me@example.com")})
	if err != nil || aws.ToString(sub.SubscriptionArn) != "pending confirmation" {
		t.Fatalf("Subscribe = %+v, %v", sub, err)
	}
	ls, err := f.sns.ListSubscriptionsByTopic(ctxT(t), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	if err != nil || len(ls.Subscriptions) != 1 || aws.ToString(ls.Subscriptions[0].SubscriptionArn) != "PendingConfirmation" ||
		aws.ToString(ls.Subscriptions[0].Endpoint) != "me@example.com" || aws.ToString(ls.Subscriptions[0].Protocol) != "email" {
		t.Fatalf("ListSubscriptionsByTopic = %+v, %v", ls, err)
	}
	sub, _ = f.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("email"), Endpoint: aws.String("me@example.com"), ReturnSubscriptionArn: true})
	subARN := aws.ToString(sub.SubscriptionArn)
	attrs, err := f.sns.GetSubscriptionAttributes(ctxT(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if err != nil || attrs.Attributes["PendingConfirmation"] != "true" || attrs.Attributes["TopicArn"] != topic || attrs.Attributes["Endpoint"] != "me@example.com" {
		t.Fatalf("GetSubscriptionAttributes = %+v, %v", attrs, err)
	}

	// The e-mail's link: ConfirmSubscription with the token.
	token, ok := f.srv.SubscriptionToken(subARN)
	if !ok {
		t.Fatal("no token for a pending subscription")
	}
	if _, err := f.sns.ConfirmSubscription(ctxT(t), &sns.ConfirmSubscriptionInput{TopicArn: aws.String(topic), Token: aws.String("wrong")}); err == nil {
		t.Error("a wrong token confirmed")
	}
	cs, err := f.sns.ConfirmSubscription(ctxT(t), &sns.ConfirmSubscriptionInput{TopicArn: aws.String(topic), Token: aws.String(token)})
	if err != nil || aws.ToString(cs.SubscriptionArn) != subARN {
		t.Fatalf("ConfirmSubscription = %+v, %v", cs, err)
	}
	attrs, _ = f.sns.GetSubscriptionAttributes(ctxT(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if attrs.Attributes["PendingConfirmation"] != "false" {
		t.Errorf("after confirming: %v", attrs.Attributes)
	}
	ls, _ = f.sns.ListSubscriptionsByTopic(ctxT(t), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	if aws.ToString(ls.Subscriptions[0].SubscriptionArn) != subARN {
		t.Errorf("confirmed subscription listed as %s", aws.ToString(ls.Subscriptions[0].SubscriptionArn))
	}
	ta, err := f.sns.GetTopicAttributes(ctxT(t), &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	if err != nil || ta.Attributes["SubscriptionsConfirmed"] != "1" || ta.Attributes["SubscriptionsPending"] != "0" {
		t.Errorf("GetTopicAttributes = %+v, %v", ta, err)
	}
}

func TestSNSSeedingAndErrors(t *testing.T) {
	f := newFixture(t, Options{})
	topic, err := f.srv.CreateTopic("alarms")
	if err != nil {
		t.Fatal(err)
	}
	confirmed, err := f.srv.Subscribe(topic, "email", "ops@example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := f.srv.Subscribe(topic, "email", "dev@example.com", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.srv.SubscriptionToken(confirmed); ok {
		t.Error("a confirmed subscription has a token")
	}
	ls, err := f.sns.ListSubscriptions(ctxT(t), &sns.ListSubscriptionsInput{})
	if err != nil || len(ls.Subscriptions) != 2 {
		t.Fatalf("ListSubscriptions = %+v, %v", ls, err)
	}
	if err := f.srv.ConfirmSubscription(pending); err != nil {
		t.Fatal(err)
	}
	attrs, _ := f.sns.GetSubscriptionAttributes(ctxT(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(pending)})
	if attrs.Attributes["PendingConfirmation"] != "false" {
		t.Errorf("ConfirmSubscription (seeding) did not confirm")
	}
	if _, err := f.srv.Subscribe(topic+"x", "email", "a@b", false); err == nil {
		t.Error("subscribed to a missing topic")
	}

	_, err = f.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: aws.String(topic + "-nope"), Protocol: aws.String("email"), Endpoint: aws.String("a@b.c")})
	var nf *snstypes.NotFoundException
	if !errors.As(err, &nf) || nf.ErrorCode() != "NotFound" {
		t.Errorf("missing topic: %v (%T)", err, err)
	}
	_, err = f.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("pigeon"), Endpoint: aws.String("a@b.c")})
	var ip *snstypes.InvalidParameterException
	if !errors.As(err, &ip) || ip.ErrorCode() != "InvalidParameter" {
		t.Errorf("bad protocol: %v (%T)", err, err)
	}
	_, err = f.sns.GetSubscriptionAttributes(ctxT(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(topic + ":nope")})
	if !errors.As(err, &nf) {
		t.Errorf("missing subscription: %v", err)
	}
	if _, err := f.sns.Unsubscribe(ctxT(t), &sns.UnsubscribeInput{SubscriptionArn: aws.String(pending)}); err != nil {
		t.Errorf("Unsubscribe: %v", err)
	}
	if _, err := f.sns.DeleteTopic(ctxT(t), &sns.DeleteTopicInput{TopicArn: aws.String(topic)}); err != nil {
		t.Errorf("DeleteTopic: %v", err)
	}
	lt, _ := f.sns.ListTopics(ctxT(t), &sns.ListTopicsInput{})
	if len(lt.Topics) != 0 {
		t.Errorf("topics after delete: %+v", lt.Topics)
	}
}
