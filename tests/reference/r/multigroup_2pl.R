# Multi-group 2PL reference (for multi-group calibration, not yet in Bagdar): three
# groups simulated here with seed 20261123, fitted by marginal maximum likelihood with
# psychotools::nplmodel(type = "2PL", impact = group), which calls R mirt's
# multipleGroup with item parameters equal across groups, group 1 (the first of the
# equally large groups, psychotools' reference) fixed at N(0, 1) and the other groups'
# means and variances free.
# Run from the repository root: Rscript tests/reference/r/multigroup_2pl.R
# Writes tests/reference/multigroup_2pl.txt and tests/reference/multigroup_2pl.json.
#
# Parameterization: mirt's 2PL is P(1) = 1 / (1 + exp(-(a1·θ + d))), Bagdar's
# TwoPl { slope: a1, intercept: d } as it stands. Group g's θ ~ N(mean_g, sd_g^2); mirt
# reports the variance (COV_11), stored here as sd = sqrt(variance).
# Quadrature: 61 equally spaced points on [-6, 6] for every group, each group's normal
# density evaluated there and normalized (mirt's default; Bagdar's default grid).
suppressPackageStartupMessages(library(psychotools))
set.seed(20261123)
n <- 1500L
slope <- c(0.7, 1.6, 1.0, 2.0, 1.3, 0.9, 1.8, 1.1, 1.45, 0.8)
intercept <- c(-1.5, 0.4, 1.2, -0.6, 0.0, 1.5, -1.0, 0.8, -0.3, 0.6)
group_mean <- c(0, 0.5, -0.3)
group_sd <- c(1, 1.2, 0.8)
group <- rep(1:3, each = n)
theta <- rnorm(3 * n, group_mean[group], group_sd[group])
p <- plogis(outer(theta, slope) + matrix(intercept, 3 * n, 10, byrow = TRUE))
y <- matrix(as.integer(runif(length(p)) < p), 3 * n, 10)
colnames(y) <- sprintf("Item%02d", 1:10)

reltol <- 1e-8
m <- nplmodel(y, type = "2PL", impact = factor(group), grouppars = TRUE, vcov = FALSE,
              reltol = reltol, maxit = 20000L, quadpts = 61, theta_lim = c(-6, 6))
stopifnot(m$code == 0L, levels(m$impact)[1] == "1")
cf <- mirt::coef(m$mirt, simplify = TRUE)
a <- unname(cf[["1"]]$items[, "a1"])
d <- unname(cf[["1"]]$items[, "d"])
for (g in c("2", "3")) {  # item parameters are equal across groups
  stopifnot(max(abs(cf[[g]]$items[, "a1"] - a)) < 1e-12,
            max(abs(cf[[g]]$items[, "d"] - d)) < 1e-12)
}
mu <- sapply(c("1", "2", "3"), function(g) unname(cf[[g]]$means[1]))
sigma <- sapply(c("1", "2", "3"), function(g) sqrt(unname(cf[[g]]$cov[1, 1])))
stopifnot(mu[1] == 0, sigma[1] == 1)

# The marginal log-likelihood recomputed from the stored parameters.
nodes <- seq(-6, 6, length.out = 61)
ll <- 0
for (g in 1:3) {
  w <- dnorm(nodes, mu[g], sigma[g])
  w <- w / sum(w)
  yg <- y[group == g, ]
  like <- matrix(1, nrow(yg), length(nodes))
  for (i in 1:10) {
    pi <- plogis(a[i] * nodes + d[i])
    like <- like * outer(yg[, i], pi, function(x, q) ifelse(x == 1, q, 1 - q))
  }
  ll <- ll + sum(log(like %*% w))
}
stopifnot(abs(ll - as.numeric(logLik(m))) < 1e-6)

writeLines(c(
  "# Three groups x 1500 persons, 10 2PL items, simulated by tests/reference/r/multigroup_2pl.R (seed 20261123).",
  "# One line per person: group (1, 2, 3) and responses to items 1-10.",
  paste(group, apply(y, 1, paste, collapse = ""))
), "tests/reference/multigroup_2pl.txt")

num <- function(v) paste0("[", paste(sprintf("%.12g", v), collapse = ", "), "]")
opts <- m$mirt@Options
json <- paste0(
  '{\n  "source": "', R.version.string, ', psychotools ', packageVersion("psychotools"),
  ', mirt ', packageVersion("mirt"), '; tests/reference/r/multigroup_2pl.R",\n',
  '  "call": "psychotools::nplmodel(y, type = \\"2PL\\", impact = factor(group), grouppars = TRUE, vcov = FALSE, reltol = 1e-8, maxit = 20000, quadpts = 61, theta_lim = c(-6, 6))",\n',
  '  "settings": "', opts$quadpts, ' quadrature points on [', opts$theta_lim[1], ', ', opts$theta_lim[2],
  '], each group N(mean, sd^2) normalized on them; item parameters equal across groups; group 1 fixed at N(0, 1), groups 2 and 3 mean and variance free; EM tolerance ', reltol, ' (largest parameter change)",\n',
  '  "data": "multigroup_2pl.txt",\n',
  '  "model": "2pl",\n',
  '  "persons_per_group": [', n, ', ', n, ', ', n, '],\n',
  '  "quadrature_points": ', opts$quadpts, ',\n',
  '  "theta_range": ', num(opts$theta_lim), ',\n',
  '  "slope": ', num(a), ',\n',
  '  "intercept": ', num(d), ',\n',
  '  "group_mean": ', num(mu), ',\n',
  '  "group_sd": ', num(sigma), ',\n',
  '  "log_likelihood": ', sprintf("%.12g", as.numeric(logLik(m))), ',\n',
  '  "log_likelihood_recomputed": ', sprintf("%.12g", ll), ',\n',
  '  "parameters": ', m$df, ',\n',
  '  "em_cycles": ', m$iterations, ',\n',
  '  "true_slope": ', num(slope), ',\n',
  '  "true_intercept": ', num(intercept), ',\n',
  '  "true_group_mean": ', num(group_mean), ',\n',
  '  "true_group_sd": ', num(group_sd), '\n}\n')
writeLines(json, "tests/reference/multigroup_2pl.json")
