package bots

// for_each_range: a date range asked of the site in sub-ranges, each
// halved while the site answers that it has too many results; and call:,
// which runs one of the script's named blocks.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
)

// span is a sub-range of dates, both ends included.
type span struct{ from, to ferry.Date }

func (s span) days() int {
	return int(s.to.Time(time.UTC).Sub(s.from.Time(time.UTC)).Hours()/24+0.5) + 1
}

func (s span) String() string { return s.from.String() + ".." + s.to.String() }

// halves splits s into two: the first has the extra day of an odd span.
func (s span) halves() (span, span) {
	mid := s.from.AddDays((s.days()+1)/2 - 1)
	return span{s.from, mid}, span{mid.AddDays(1), s.to}
}

// rangeDate reads a for_each_range bound: a date, a relative date or a
// variable holding one.
func (r *run) rangeDate(text, def string) (ferry.Date, error) {
	if text == "" {
		text = def
	}
	v, masked := r.expand(text)
	d, err := scripts.RelativeDate(v, r.job.Now())
	if err != nil {
		return d, fmt.Errorf("%s is %q: %w", text, masked, err)
	}
	return d, nil
}

// forEachRange runs a for_each_range step: oldest sub-range first, each
// asked with ${from} and ${to} set to it.
func (r *run) forEachRange(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	rg := st.ForEachRange
	from, err := r.rangeDate(rg.From, "${from}")
	if err != nil {
		return out, ferry.Errorf(ferry.ClassInternal, where, "for_each_range from: %w", err)
	}
	to, err := r.rangeDate(rg.To, "${to}")
	if err != nil {
		return out, ferry.Errorf(ferry.ClassInternal, where, "for_each_range to: %w", err)
	}
	if to.Before(from) {
		return out, ferry.Errorf(ferry.ClassInternal, where, "for_each_range: to %s is before from %s", to, from)
	}
	prevFrom, prevTo := r.vars["from"], r.vars["to"]
	defer func() { r.vars["from"], r.vars["to"] = prevFrom, prevTo }()
	stack := []span{{from, to}}
	asked, ranges, splits := 0, 0, 0
	for len(stack) > 0 {
		sp := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		asked++
		if asked > rg.Max {
			return out, ferry.Errorf(ferry.ClassSiteChanged, where, "for_each_range %s..%s: more than max %d sub-ranges asked (%d splits so far); the site keeps answering %s", from, to, rg.Max, splits, rg.TooMany)
		}
		r.vars["from"], r.vars["to"] = sp.from.String(), sp.to.String()
		sub := fmt.Sprintf("%s.for_each_range[%s]", where, sp)
		if err := r.steps_(ctx, sub+".query", rg.Query); err != nil {
			return out, err
		}
		started := time.Now()
		pick, way, err := r.firstOf(ctx, r.timeout(st), rg.TooMany, rg.Ready)
		if err != nil {
			r.trace(sub, "for_each_range", rg.TooMany+" | "+rg.Ready, "", "", started, err)
			return out, r.classify(sub, started, err)
		}
		if pick == 0 {
			if sp.days() <= rg.Days() {
				return out, ferry.Errorf(ferry.ClassSiteChanged, sub, "the site still answers %s for %s (%d days, and min_days is %d): the range cannot be split further (%s)",
					rg.TooMany, sp, sp.days(), rg.Days(), r.pageURL())
			}
			a, b := sp.halves()
			stack = append(stack, b, a)
			splits++
			r.trace(sub, "for_each_range", rg.TooMany, way, fmt.Sprintf("%s: too many results, split into %s and %s", sp, a, b), started, nil)
			continue
		}
		r.trace(sub, "for_each_range", rg.Ready, way, fmt.Sprintf("%s: results shown", sp), started, nil)
		if err := r.steps_(ctx, sub+".steps", rg.Steps); err != nil {
			return out, err
		}
		ranges++
	}
	out.detail = fmt.Sprintf("%s..%s in %d sub-ranges (%d splits, %d asked)", from, to, ranges, splits, asked)
	return out, nil
}

// firstOf waits until a way of one of the elements finds it and returns
// which one (the first listed wins a tie) and the way.
func (r *run) firstOf(ctx context.Context, timeout time.Duration, names ...string) (int, string, error) {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	els := make([]selectors.Element, len(names))
	for i, n := range names {
		el, err := r.job.Selectors.Element(n)
		if err != nil {
			return -1, "", err
		}
		els[i] = el
	}
	if _, err := r.settleIfNavigated(sctx); err != nil {
		return -1, "", err
	}
	pick, way := -1, ""
	var lasts [][]WayResult
	err := poll(sctx, func() (bool, error) {
		lasts = lasts[:0]
		for i, el := range els {
			res, p, wl, err := r.lookup(sctx, el)
			if err != nil {
				return false, nil // navigating
			}
			lasts = append(lasts, res)
			if p >= 0 {
				pick, way = i, r.scope.label(wayLabel(wl, p))
				return true, nil
			}
		}
		return false, nil
	})
	if pick < 0 {
		var ways []WayResult
		for _, l := range lasts {
			ways = append(ways, l...)
		}
		se := &SelectorError{Element: strings.Join(names, " | "), Page: r.pageURL(), Ways: ways, Variant: r.lastVariant}
		r.lastSel = se
		if err != nil && sctx.Err() == nil {
			return -1, "", err
		}
		return -1, "", se
	}
	return pick, way, nil
}

// call runs the script's block of that name.
func (r *run) call(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	block, ok := r.job.Script.Blocks[st.Call]
	if !ok {
		return out, ferry.Errorf(ferry.ClassInternal, where, "call %q: the script has no such block", st.Call)
	}
	r.trace(where, "call", st.Call, "", fmt.Sprintf("block %s (%d steps)", st.Call, len(block)), time.Now(), nil)
	return out, r.steps_(ctx, where+"."+st.Call, block)
}
