package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	selectorRE = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')`)
)

// promqlLabels are the label names an expression's selectors match on,
// by metric: a matcher on a label the metric does not have selects
// nothing, and an alert on it never fires. (A regular expression, not a
// parser: a "}" inside a matcher's value is not allowed for.)
func promqlLabels(expr string) map[string][]string {
	labels := map[string][]string{}
	for _, sel := range selectorRE.FindAllStringSubmatch(expr, -1) {
		for _, m := range matcherRE.FindAllStringSubmatch(sel[2], -1) {
			if m[1] != "__name__" && !slices.Contains(labels[sel[1]], m[1]) {
				labels[sel[1]] = append(labels[sel[1]], m[1])
			}
		}
	}
	return labels
}

func TestPromQLLabelsFindsTheLabelsASelectorMatchesOn(t *testing.T) {
	got := promqlLabels(`max by (queue) (a_total{state="archived", q=~"x|y"}) / sum(rate(b_seconds_bucket{le!='0.5'}[5m])) + c`)
	want := map[string][]string{"a_total": {"state", "q"}, "b_seconds_bucket": {"le"}}
	if !maps.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("promqlLabels = %v, want %v", got, want)
	}
}

// promqlMetrics lists the metric names a PromQL expression selects: the
// identifiers that are neither functions, aggregations nor keywords, and
// not inside label matchers ({…}, where only a __name__ matcher names a
// metric), ranges ([…]), grouping lists (by, without, on, ignoring,
// group_left, group_right) or strings. It is a tokenizer, not a parser:
// enough to check that dashboards and alert rules name metrics that exist.
func promqlMetrics(expr string) ([]string, error) {
	var names []string
	rs := []rune(expr)
	i := 0
	peek := func() rune { // the next rune that is not a space
		for j := i; j < len(rs); j++ {
			if !isSpace(rs[j]) {
				return rs[j]
			}
		}
		return 0
	}
	for i < len(rs) {
		r := rs[i]
		switch {
		case isSpace(r):
			i++
		case r == '#':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case r == '"' || r == '\'' || r == '`':
			end, err := skipString(rs, i)
			if err != nil {
				return nil, err
			}
			i = end
		case r == '{':
			end, name, err := skipMatchers(rs, i)
			if err != nil {
				return nil, err
			}
			if name != "" {
				names = append(names, name)
			}
			i = end
		case r == '[':
			end := slices.Index(rs[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at %d in %q", i, expr)
			}
			i += end + 1
		case r >= '0' && r <= '9' || r == '.' && i+1 < len(rs) && rs[i+1] >= '0' && rs[i+1] <= '9':
			for i < len(rs) && (isIdent(rs[i]) || rs[i] == '.') { // 0.5, 1e3, 0x1f, 5m
				i++
			}
		case isIdentStart(r):
			start := i
			for i < len(rs) && isIdent(rs[i]) {
				i++
			}
			word := string(rs[start:i])
			lower := strings.ToLower(word)
			switch {
			case groupingKeywords[lower]:
				if peek() == '(' {
					for i < len(rs) && rs[i] != '(' {
						i++
					}
					end := slices.Index(rs[i:], ')')
					if end < 0 {
						return nil, fmt.Errorf("unclosed %s( in %q", word, expr)
					}
					i += end + 1
				}
			case keywords[lower], aggregations[lower]:
				// an aggregation may have its grouping before its
				// parentheses: sum by (le) (…)
			case peek() == '(':
				// a function or an aggregation
			default:
				names = append(names, word)
			}
		default:
			i++ // an operator, a comma, a parenthesis, @
		}
	}
	return names, nil
}

var (
	groupingKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true,
		"group_left": true, "group_right": true}
	aggregations = map[string]bool{"sum": true, "min": true, "max": true, "avg": true, "group": true,
		"stddev": true, "stdvar": true, "count": true, "count_values": true, "bottomk": true, "topk": true,
		"quantile": true, "limitk": true, "limit_ratio": true}
	keywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"atan2": true, "inf": true, "nan": true, "start": true, "end": true}
)

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }
func isIdentStart(r rune) bool {
	return r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}
func isIdent(r rune) bool { return isIdentStart(r) || r >= '0' && r <= '9' }

// skipString returns the index after the string literal at i.
func skipString(rs []rune, i int) (int, error) {
	quote := rs[i]
	for j := i + 1; j < len(rs); j++ {
		switch {
		case rs[j] == '\\' && quote != '`':
			j++
		case rs[j] == quote:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed string at %d in %q", i, string(rs))
}

// skipMatchers returns the index after the matchers at i, and the metric
// a __name__="…" matcher among them names.
func skipMatchers(rs []rune, i int) (int, string, error) {
	var name string
	for j := i + 1; j < len(rs); {
		switch {
		case rs[j] == '}':
			return j + 1, name, nil
		case rs[j] == '"' || rs[j] == '\'' || rs[j] == '`':
			end, err := skipString(rs, j)
			if err != nil {
				return 0, "", err
			}
			j = end
		case strings.HasPrefix(string(rs[j:]), "__name__"):
			rest := strings.TrimLeft(string(rs[j+len("__name__"):]), " ")
			if strings.HasPrefix(rest, "=") && !strings.HasPrefix(rest, "=~") {
				value := strings.TrimLeft(rest[1:], " ")
				if len(value) > 0 && (value[0] == '"' || value[0] == '\'') {
					if end := strings.IndexByte(value[1:], value[0]); end >= 0 {
						name = value[1 : end+1]
					}
				}
			}
			j += len("__name__")
		default:
			j++
		}
	}
	return 0, "", fmt.Errorf("unclosed { at %d in %q", i, string(rs))
}

func TestPromQLMetricsFindsTheMetricsAnExpressionSelects(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`max(backorderd_items_at_cap) > 0`, []string{"backorderd_items_at_cap"}},
		{`histogram_quantile(0.99, sum by (le, platform) (rate(x_seconds_bucket[5m]))) > 2`, []string{"x_seconds_bucket"}},
		{`sum(rate(a_total{outcome!="written", kind=~"order|stock"}[15m])) / sum(rate(b_total[15m])) > 0.5`,
			[]string{"a_total", "b_total"}},
		{`a offset 5m and on(queue) group_left(state) b`, []string{"a", "b"}},
		{`count(x) without (instance, job) > bool 3 unless y`, []string{"x", "y"}},
		{`{__name__="named_by_matcher", job="backorderd"}`, []string{"named_by_matcher"}},
		{`label_replace(up_metric, "dst", "by $1 (on)", "src", "(.*)")`, []string{"up_metric"}},
		{`vector(1) + time() - scalar(NaN) * Inf`, nil},
		{`rate(ns:recorded:rule[1m] @ 1609746000) # a comment naming not_a_metric`, []string{"ns:recorded:rule"}},
		{`max(a{le="0.5",q='it\'s'}) or 1e3 < .5`, []string{"a"}},
	}
	for _, tt := range tests {
		got, err := promqlMetrics(tt.expr)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("promqlMetrics(%q) = %q, %v; want %q", tt.expr, got, err, tt.want)
		}
	}
	for _, bad := range []string{`a{job="x"`, `rate(a[5m)`, `a{job="x}`, `sum by (le`} {
		if got, err := promqlMetrics(bad); err == nil {
			t.Errorf("promqlMetrics(%q) = %q, want an error", bad, got)
		}
	}
}
