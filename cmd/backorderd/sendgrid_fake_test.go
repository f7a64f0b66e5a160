package main

// A fake SendGrid v3 mail/send for the fault tests: it checks what each
// request carries, can refuse for a while (429 with its reset, 5xx), and
// counts the messages it accepted per email row (the email_id custom arg).
// It is fast: a message is accepted or refused within the request.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

const fakeSendGridKey = "SG.fault-test-key"

// fakeSendGrid is the httptest server and what it saw.
type fakeSendGrid struct {
	srv *httptest.Server
	mu  sync.Mutex
	// accepted counts acceptances per email id.
	accepted map[int64]int
	// refused counts the requests answered with each refusal status.
	refused map[int]int
	// problems are requests that were not a message backorderd should send.
	problems []string
	// toRefuse requests still to be answered with refusals, in turn.
	toRefuse int
	refusals []int
	next     int
}

func newFakeSendGrid(t *testing.T) *fakeSendGrid {
	t.Helper()
	f := &fakeSendGrid{accepted: map[int64]int{}, refused: map[int]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// refuseNext answers the next n requests with statuses in turn (429 comes
// with an X-RateLimit-Reset a second ahead).
func (f *fakeSendGrid) refuseNext(n int, statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.toRefuse, f.refusals, f.next = n, statuses, 0
}

// sgMessage is the part of mail/send's body the fake checks.
type sgMessage struct {
	From struct {
		Email string `json:"email"`
	} `json:"from"`
	Subject          string `json:"subject"`
	Personalizations []struct {
		To []struct {
			Email string `json:"email"`
		} `json:"to"`
	} `json:"personalizations"`
	Content []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"content"`
	Categories []string          `json:"categories"`
	CustomArgs map[string]string `json:"custom_args"`
}

func (f *fakeSendGrid) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.toRefuse > 0 && len(f.refusals) > 0 {
		status := f.refusals[f.next%len(f.refusals)]
		f.next++
		f.toRefuse--
		f.refused[status]++
		if status == http.StatusTooManyRequests {
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
		}
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"errors":[{"message":"fake refusal %d"}]}`, status)
		return
	}
	id, problem := f.check(r, body)
	if problem != "" {
		f.problems = append(f.problems, problem)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"errors":[{"message":%q}]}`, problem)
		return
	}
	f.accepted[id]++
	w.Header().Set("X-Message-Id", fmt.Sprintf("fake-%d-%d", id, f.accepted[id]))
	w.WriteHeader(http.StatusAccepted)
}

// check says what is wrong with a request, or returns its email id.
func (f *fakeSendGrid) check(r *http.Request, body []byte) (int64, string) {
	if r.Method != http.MethodPost || r.URL.Path != "/v3/mail/send" {
		return 0, r.Method + " " + r.URL.Path
	}
	if r.Header.Get("Authorization") != "Bearer "+fakeSendGridKey {
		return 0, "Authorization " + r.Header.Get("Authorization")
	}
	var m sgMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return 0, "body: " + err.Error()
	}
	id, err := strconv.ParseInt(m.CustomArgs["email_id"], 10, 64)
	switch {
	case err != nil || id <= 0:
		return 0, fmt.Sprintf("custom_args %v: no email_id", m.CustomArgs)
	case m.From.Email != faultSender:
		return id, "from " + m.From.Email
	case len(m.Personalizations) != 1 || len(m.Personalizations[0].To) != 1 || m.Personalizations[0].To[0].Email == "":
		return id, fmt.Sprintf("email %d: personalizations %+v", id, m.Personalizations)
	case m.Subject == "" || len(m.Content) != 2 || m.Content[0].Value == "" || m.Content[1].Value == "":
		return id, fmt.Sprintf("email %d: subject %q, %d contents", id, m.Subject, len(m.Content))
	case len(m.Categories) < 2 || m.Categories[0] != "backorderd":
		return id, fmt.Sprintf("email %d: categories %v", id, m.Categories)
	}
	return id, ""
}

// seen is a copy of what the fake counted.
func (f *fakeSendGrid) seen() (accepted map[int64]int, refused map[int]int, problems []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	accepted, refused = map[int64]int{}, map[int]int{}
	for k, v := range f.accepted {
		accepted[k] = v
	}
	for k, v := range f.refused {
		refused[k] = v
	}
	return accepted, refused, append([]string(nil), f.problems...)
}
