// Command backorderd runs beside a Shopify or WooCommerce store: it receives
// the store's webhooks, keeps orders that went short in a first-come,
// first-served queue per item, and keeps customers and merchants informed.
//
// Usage:
//
//	backorderd [run]       everything in one process (embedded defaults allowed)
//	backorderd serve       HTTP only: receiver, admin API, monitor
//	backorderd work        asynq worker, relays and scheduler
//	backorderd migrate     apply the database schema and exit
//	backorderd shop ...    register and configure shops
//	backorderd import ...  load suppliers or items' terms from a CSV file
//	backorderd sign ...    print the signature header a store would send with a body
//	backorderd simulate    send a flash sale to an instance and check its outcome
//	backorderd healthcheck ask the local process's /healthz (for containers)
//	backorderd version     print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	_ "time/tzdata" // shop time zones must load in images without /usr/share/zoneinfo
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := tuneGC(os.Getenv); err != nil {
		fmt.Fprintf(os.Stderr, "backorderd: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "backorderd: %v\n", err)
		if errors.As(err, new(usageError)) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage is a command line that names no known subcommand.
var errUsage = errors.New("usage: backorderd [run|serve|work|migrate|shop|reconcile|import|sign|simulate|healthcheck|version]")

// run is the whole program: main only adds the process's signals,
// environment and exit code, so that tests can run it as it runs.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run", "serve", "work":
		if len(args) > 0 {
			return fmt.Errorf("%s takes no arguments; configuration comes from the environment", cmd)
		}
		return runRole(ctx, role(cmd), getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, getenv, stdout)
	case "shop":
		return shopCommand(ctx, args, getenv, stdout)
	case "reconcile":
		return reconcileCLI(ctx, args, getenv, stdout)
	case "import":
		return importCommand(ctx, args, getenv, stdout)
	case "sign":
		return sign(args, stdout)
	case "simulate":
		return simulateCommand(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "version":
		_, err := fmt.Fprintf(stdout, "backorderd %s (%s)\n", version, runtime.Version())
		return err
	case "help", "-h", "--help":
		_, err := fmt.Fprintln(stdout, errUsage.Error())
		return err
	default:
		return fmt.Errorf("unknown command %q; %w", cmd, errUsage)
	}
}
