package demoapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// ReadyPrefix starts the line Serve writes once it is listening; the URL
// follows it.
const ReadyPrefix = "demoapp listening on "

// shutdownGrace bounds how long Serve waits for in-flight requests.
const shutdownGrace = 2 * time.Second

// Serve runs the site and the metrics publisher until ctx ends. The
// publisher also sends Container Insights performance log events, and
// publishes nothing while the cluster exists with Container Insights
// disabled. It writes one
// line "demoapp listening on http://127.0.0.1:PORT\n" to ready (the parent
// reads it) once listening. The CloudWatch client is configured from the
// environment (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_ENDPOINT_URL, ...); configuration and publishing errors go to stderr
// and never stop the site. Serve returns nil after a clean shutdown.
func Serve(ctx context.Context, cfg Config, ready io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	var pub *Publisher
	if cfg.PublishEvery > 0 {
		awsCfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			// The site still serves; only the metrics are lost.
			fmt.Fprintf(os.Stderr, "demoapp: loading AWS config, metrics disabled: %v\n", err)
		} else {
			pub = &Publisher{
				Client: cloudwatch.NewFromConfig(awsCfg), Config: cfg, Log: os.Stderr,
				Logs: cloudwatchlogs.NewFromConfig(awsCfg), Clusters: ecs.NewFromConfig(awsCfg),
				Task: NewTask(awsCfg.Region, time.Now()),
			}
		}
	}
	return serve(ctx, cfg, ready, pub)
}

// serve listens on cfg.Addr and runs the handler and pub (if not nil).
func serve(ctx context.Context, cfg Config, ready io.Writer, pub *Publisher) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("demoapp: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           Handler(cfg),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       90 * time.Second,
	}
	url := "http://" + ln.Addr().String()
	if _, err := fmt.Fprintf(ready, "%s%s\n", ReadyPrefix, url); err != nil {
		ln.Close()
		return fmt.Errorf("demoapp: writing ready line: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var pubErr error
	if pub != nil {
		wg.Go(func() { pubErr = pub.Run(ctx) })
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	var err2 error
	select {
	case <-ctx.Done():
	case err2 = <-serveErr:
		err2 = fmt.Errorf("demoapp: serve: %w", err2)
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err2 == nil {
		if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
			err2 = fmt.Errorf("demoapp: serve: %w", err)
		}
	}
	wg.Wait()
	return errors.Join(err2, pubErr)
}

// ChildMain is what the hidden demo-site subcommand calls: it reads the
// Config from the environment (see ConfigFromEnv), serves until SIGTERM or
// SIGINT, writing the ready line to stdout, and returns the process exit
// code (0 after a signal, 1 on error).
func ChildMain() int {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demoapp: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := Serve(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "demoapp: %v\n", err)
		return 1
	}
	return 0
}
