# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Rates and paired ratios of the interleaved phase of bench/churn.sh.
#
# usage: awk [-v per_window=1] [-v a=LABEL -v b=LABEL] -f interleave.awk PROGRESS WINDOWS
#   PROGRESS  churn --progress samples: "<wall-clock ns> <connections>" per line
#   WINDOWS   one line per window, in time order: "<label> <start us> <end us>
#             [<tracer CPU ns>]", label "none" for untraced windows
#
# A window's rate is the connection count interpolated at its end minus at its start,
# over its length. A traced window's ratio is its rate over the mean rate of the
# untraced windows right before and after it. Each untraced window with untraced
# neighbours one window away on both sides gets the same ratio against those two: the
# A/A line, what the machine's noise alone does to a ratio. Per label: windows, median
# rate, median ratio, interquartile range and range of the ratios, and the median CPU of
# the tracer's process per connection made in the window, where WINDOWS gives it.
# With a and b, two labels that ran once per cycle (two builds of one tracer): the k-th
# window of b against the k-th of a, ratio minus ratio, a few seconds apart: the median
# and interquartile range of those differences and how many of them favour b.

FNR == NR {
	if (NF == 2) {
		t[++n] = $1 / 1e9
		v[n] = $2
	}
	next
}

NF == 3 || NF == 4 {
	label[++w] = $1
	conns = count_at($3 / 1e6) - count_at($2 / 1e6)
	rate[w] = conns / (($3 - $2) / 1e6)
	cpu[w] = NF == 4 && conns > 0 ? $4 / 1e3 / conns : -1
}

# The connection count at time x (s), linear between the samples around it.
function count_at(x, lo, hi, mid) {
	if (n < 2 || x <= t[1])
		return v[1]
	if (x >= t[n])
		return v[n]
	lo = 1
	hi = n
	while (hi - lo > 1) {
		mid = int((lo + hi) / 2)
		if (t[mid] <= x)
			lo = mid
		else
			hi = mid
	}
	return v[lo] + (v[hi] - v[lo]) * (x - t[lo]) / (t[hi] - t[lo])
}

# Value at fraction p (0..1) of the sorted a[1..m], linear between ranks.
function quantile(a, m, p, r, i) {
	r = 1 + p * (m - 1)
	i = int(r)
	return i >= m ? a[m] : a[i] + (a[i + 1] - a[i]) * (r - i)
}

function sort_values(a, m, i, j, x) {
	for (i = 2; i <= m; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			x = a[j]
			a[j] = a[j - 1]
			a[j - 1] = x
		}
}

function add(key, r, q, c) {
	if (!(key in cnt)) {
		cnt[key] = 0
		ncpu[key] = 0
		order[++nkeys] = key
	}
	cnt[key]++
	rates[key, cnt[key]] = r
	ratios[key, cnt[key]] = q
	if (c >= 0)
		cpus[key, ++ncpu[key]] = c
}

END {
	for (i = 1; i <= w; i++) {
		if (label[i] != "none") {
			if (i == 1 || i == w || label[i - 1] != "none" || label[i + 1] != "none")
				continue
			base = (rate[i - 1] + rate[i + 1]) / 2
			if (base <= 0)
				continue
			add(label[i], rate[i], rate[i] / base, cpu[i])
			if (per_window)
				printf "  window %3d %-10s %9.0f conn/s  untraced around it %9.0f %9.0f  ratio %.3f\n",
					i, label[i], rate[i], rate[i - 1], rate[i + 1], rate[i] / base
		} else if (i > 2 && i < w - 1 && label[i - 2] == "none" && label[i + 2] == "none") {
			base = (rate[i - 2] + rate[i + 2]) / 2
			if (base > 0)
				add("none (A/A)", rate[i], rate[i] / base, -1)
		}
	}
	printf "\n%-11s %7s %10s %7s %13s %13s %12s\n", "config", "windows", "median/s", "paired",
		"paired IQR", "paired range", "tracer us/c"
	# the noise floor first, then the tracers in the order they ran
	for (k = 0; k <= nkeys; k++) {
		key = k ? order[k] : "none (A/A)"
		if (!(key in cnt) || (k && key == "none (A/A)"))
			continue
		m = cnt[key]
		for (i = 1; i <= m; i++) {
			rs[i] = rates[key, i]
			qs[i] = ratios[key, i]
		}
		sort_values(rs, m)
		sort_values(qs, m)
		c = "-"
		if (ncpu[key]) {
			for (i = 1; i <= ncpu[key]; i++)
				cs[i] = cpus[key, i]
			sort_values(cs, ncpu[key])
			c = sprintf("%.2f", quantile(cs, ncpu[key], 0.5))
		}
		printf "%-11s %7d %10.0f %7.3f %6.3f-%.3f %6.3f-%.3f %12s\n", key, m,
			quantile(rs, m, 0.5), quantile(qs, m, 0.5), quantile(qs, m, 0.25),
			quantile(qs, m, 0.75), qs[1], qs[m], c
	}
	print "(paired = median over windows of a window's rate / the mean rate of the untraced"
	print " windows right before and after it; IQR = the middle half of those ratios;"
	print " tracer us/c = the tracer process's CPU (all threads, schedstat) per connection"
	print " made in the window, median over windows; BPF programs run in churn and are not in it."
	print " none (A/A): an untraced window against the untraced windows two before and two"
	print " after it, i.e. this machine's noise alone)"
	if (a != "" && b != "" && (a in cnt) && (b in cnt))
		compare(a, b)
}

function compare(a, b, m, i, d, better) {
	m = cnt[a] < cnt[b] ? cnt[a] : cnt[b]
	better = 0
	for (i = 1; i <= m; i++) {
		d[i] = ratios[b, i] - ratios[a, i]
		if (d[i] > 0)
			better++
	}
	sort_values(d, m)
	printf "\n%s - %s, paired ratio difference over %d cycles: median %+.3f, IQR %+.3f to %+.3f; %s higher in %d of %d\n",
		b, a, m, quantile(d, m, 0.5), quantile(d, m, 0.25), quantile(d, m, 0.75), b, better, m
	print "(the k-th window of each, a few seconds apart; judge a difference against the IQR,"
	print " and against running the same binary as both: a difference the IQR straddles is noise)"
}
