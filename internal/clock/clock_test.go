package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
)

func TestSim_Advance(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.NewSim(start)
	if got, want := c.Now(), start; !got.Equal(want) {
		t.Fatalf("Now() = %s, want %s", got, want)
	}
	c.Advance(90 * time.Minute)
	if got, want := c.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("after Advance, Now() = %s, want %s", got, want)
	}
	c.Advance(-time.Hour)
	if got, want := c.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("negative Advance moved the clock to %s", got)
	}
}

func TestSim_Set(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.NewSim(start)
	t.Run("OK", func(t *testing.T) {
		if err := c.Set(start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, want := c.Now(), start.Add(time.Hour); !got.Equal(want) {
			t.Fatalf("Now() = %s, want %s", got, want)
		}
	})
	t.Run("ErrBackwards", func(t *testing.T) {
		if err := c.Set(start); err == nil {
			t.Fatal("Set to the past succeeded")
		}
	})
}

func TestSim_Sleep(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.NewSim(start)
	if err := c.Sleep(context.Background(), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Now(), start.Add(3*time.Second); !got.Equal(want) {
		t.Fatalf("Now() = %s, want %s", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Second); err == nil {
		t.Fatal("Sleep on a cancelled context returned nil")
	}
}

func TestReal_Sleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (clock.Real{}).Sleep(ctx, time.Hour); err == nil {
		t.Fatal("Sleep on a cancelled context returned nil")
	}
}
