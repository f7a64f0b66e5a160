package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// The codes of the admin API's errors, one per HTTP status it answers
// with: `{"error": {"code": "...", "message": "..."}}`.
const (
	codeBadRequest    = "bad_request"
	codeUnauthorized  = "unauthorized"
	codeForbidden     = "forbidden"
	codeNotFound      = "not_found"
	codeConflict      = "conflict"
	codeUnprocessable = "unprocessable"
	codeUnavailable   = "unavailable"
	// codeInternal is a panic's 500: a defect, logged with its stack.
	codeInternal = "internal"
)

// errorBody is the body of every error answer of the admin API.
func errorBody(code, message string) gin.H {
	return gin.H{"error": gin.H{"code": code, "message": message}}
}

// errBadRequest is a query or body the caller must fix: 400.
type errBadRequest string

func (e errBadRequest) Error() string { return string(e) }

// errNotFound names what the request asked for and does not exist: 404.
type errNotFound string

func (e errNotFound) Error() string { return string(e) }

// errConflict is a request the current state refuses: 409.
type errConflict string

func (e errConflict) Error() string { return string(e) }

// FieldError is a well-formed request whose field breaks a rule: 422 with
// the field named. The CSV import reports it as the row's column.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// errorStatus maps the errors handlers meet onto a status, a code and a
// message the caller may read; unknown errors are the database's.
var errorStatus = []struct {
	status int
	code   string
	match  func(error) (string, bool)
}{
	{http.StatusBadRequest, codeBadRequest, as[errBadRequest]},
	{http.StatusUnprocessableEntity, codeUnprocessable, as[*FieldError]},
	{http.StatusNotFound, codeNotFound, as[errNotFound]},
	{http.StatusConflict, codeConflict, as[errConflict]},
	{http.StatusConflict, codeConflict, is(jobs.ErrConflict)},
	{http.StatusUnprocessableEntity, codeUnprocessable, is(jobs.ErrUnprocessable)},
	{http.StatusBadRequest, codeBadRequest, is(jobs.ErrBadRequest)},
	{http.StatusNotFound, codeNotFound, is(store.ErrNotFound)},
	{http.StatusConflict, codeConflict, is(store.ErrDuplicate)},
}

func as[E error](err error) (string, bool) {
	var e E
	if errors.As(err, &e) {
		return e.Error(), true
	}
	return "", false
}

func is(target error) func(error) (string, bool) {
	return func(err error) (string, bool) { return err.Error(), errors.Is(err, target) }
}

// fail answers err as the admin API's JSON error: 400 for a request the
// caller must fix, 422 for a field that breaks a rule, 404, 409, and 503
// for anything else (the database's; logged by RequestLog, not shown).
func fail(c *gin.Context, err error) {
	for _, m := range errorStatus {
		if msg, ok := m.match(err); ok {
			c.JSON(m.status, errorBody(m.code, msg))
			return
		}
	}
	_ = c.Error(err)
	c.JSON(http.StatusServiceUnavailable, errorBody(codeUnavailable, "database unavailable"))
}

// notFoundAs is err, or errNotFound(msg) when err is the store's
// ErrNotFound: the message names what was not found.
func notFoundAs(err error, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound(msg)
	}
	return err
}

// bindJSON decodes the request's JSON body into v, refusing unknown
// fields: malformed JSON is a 400, a field of the wrong type a 422 naming
// it.
func bindJSON(c *gin.Context, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxRequestBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return &FieldError{Field: typeErr.Field, Reason: "must be " + jsonKind(typeErr.Type.Kind()) + ", not a JSON " + typeErr.Value}
	case errors.As(err, &typeErr):
		return errBadRequest("the body must be a JSON object")
	case errors.Is(err, io.EOF):
		return errBadRequest("the body must be a JSON object")
	default:
		return errBadRequest("malformed JSON: " + err.Error())
	}
}

// jsonKind says what JSON value a Go kind takes.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Slice:
		return "a list"
	default:
		return "an object"
	}
}

// maxRequestBytes bounds an admin request's body.
const maxRequestBytes = 1 << 20
