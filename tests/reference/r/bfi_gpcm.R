# GPCM and PCM on the five Conscientiousness items of psych::bfi, fitted by marginal
# maximum likelihood with psychotools::gpcmodel (which calls R mirt's EM).
# Run from the repository root: Rscript tests/reference/r/bfi_gpcm.R
# Writes tests/reference/bfi_conscientiousness.txt and tests/reference/bfi_gpcm.json.
#
# Data: psych's bfi (2800 persons). Items C1 C2 C3 C4 C5; psych's keys
# (bfi.keys$conscientious = C1 C2 C3 -C4 -C5) reverse C4 and C5, recoded 7 - x. Scores
# 1..6 become categories 0..5. Persons with any missing C response are dropped
# (complete cases: 2707 of 2800).
#
# Parameterization: mirt's "gpcm" item is P(X = k) ∝ exp(ak_k·a1·θ + d_k) with fixed
# scoring ak_k = k and d_0 = 0. That is Bagdar's Gpcm { slope: a1, intercepts:
# [d_1 … d_5] } as it stands (Bagdar: z_k = k·a·θ + d_k, d_k already the cumulative
# category intercept, so no conversion). psychotools' PCM constrains the slopes equal
# (one common a, θ ~ N(0, 1)); Bagdar's PCM fixes a = 1 and estimates the latent SD,
# the same model with SD = a and the same intercepts.
#
# Quadrature: mirt's default for one factor, 61 equally spaced points on [-6, 6] with
# N(0, 1) density weights normalized to sum 1: Bagdar's default grid. It is passed
# explicitly (quadpts = 61, theta_lim = c(-6, 6)) and read back from the fit.
suppressPackageStartupMessages({
  library(psych)
  library(psychotools)
})
data(bfi, package = "psych")
items <- c("C1", "C2", "C3", "C4", "C5")
x <- bfi[, items]
x <- x[complete.cases(x), ]
x$C4 <- 7 - x$C4
x$C5 <- 7 - x$C5
y <- as.matrix(x) - 1L
stopifnot(all(y >= 0 & y <= 5))

reltol <- 1e-8
fit <- function(type) {
  gpcmodel(y, type = type, reltol = reltol, maxit = 20000L, vcov = FALSE,
           quadpts = 61, theta_lim = c(-6, 6))
}
gpcm <- fit("GPCM")
pcm <- fit("PCM")
stopifnot(gpcm$code == 0L, pcm$code == 0L)

item_pars <- function(m) {
  cf <- mirt::coef(m$mirt, simplify = TRUE)$items
  list(slope = unname(cf[, "a1"]), intercepts = unname(cf[, paste0("d", 1:5)]))
}

# The marginal log-likelihood recomputed here from the converted parameters (checks
# the conversion): 61 points on [-6, 6], normalized N(0, sd^2) weights.
marginal_ll <- function(slope, intercepts, sd = 1) {
  nodes <- seq(-6, 6, length.out = 61)
  w <- dnorm(nodes, 0, sd)
  w <- w / sum(w)
  like <- matrix(1, nrow(y), length(nodes))
  for (i in seq_len(ncol(y))) {
    z <- outer(nodes, 0:5) * slope[i] +
      matrix(c(0, intercepts[i, ]), length(nodes), 6, byrow = TRUE)
    p <- exp(z - apply(z, 1, max))
    p <- p / rowSums(p)
    like <- like * t(p[, y[, i] + 1L])
  }
  sum(log(like %*% w))
}

g <- item_pars(gpcm)
p <- item_pars(pcm)
ll_g <- marginal_ll(g$slope, g$intercepts)
ll_p <- marginal_ll(rep(1, 5), p$intercepts, sd = p$slope[1])
# PCM: recomputed with the common slope on the N(0, 1) grid (mirt's form), and in
# Bagdar's form (a = 1, normalized N(0, a^2) weights on the same 61 nodes). The two
# differ by about 1e-5 because the nodes are not rescaled with the SD.
ll_p_mirt <- marginal_ll(rep(p$slope[1], 5), p$intercepts)
stopifnot(abs(ll_g - as.numeric(logLik(gpcm))) < 1e-6,
          abs(ll_p_mirt - as.numeric(logLik(pcm))) < 1e-6,
          abs(ll_p - ll_p_mirt) < 1e-3)

# Data: one line per response pattern (C1..C5, categories 0..5) with its frequency.
patterns <- apply(y, 1, paste, collapse = "")
freq <- table(patterns)
writeLines(c(
  "# psych::bfi Conscientiousness C1 C2 C3 C4 C5 (C4, C5 reversed: 7 - x), categories 0..5 (score - 1),",
  sprintf("# complete cases only: %d of %d persons. Made by tests/reference/r/bfi_gpcm.R.", nrow(y), nrow(bfi)),
  "# Response pattern (items C1-C5) and frequency.",
  paste(names(freq), as.integer(freq))
), "tests/reference/bfi_conscientiousness.txt")

num <- function(v) paste0("[", paste(sprintf("%.12g", v), collapse = ", "), "]")
rows <- function(m) paste0("[\n        ", paste(apply(m, 1, num), collapse = ",\n        "), "\n      ]")
opts <- gpcm$mirt@Options
versions <- sprintf("%s, psych %s, psychotools %s, mirt %s", R.version.string,
                    packageVersion("psych"), packageVersion("psychotools"), packageVersion("mirt"))
settings <- sprintf("%d quadrature points on [%g, %g] (normalized N(0, 1) weights), EM tolerance reltol = TOL = %g (largest parameter change)",
                    opts$quadpts, opts$theta_lim[1], opts$theta_lim[2], reltol)
# Tolerances of the Rust test (core/tests/polytomous_reference.rs): same model, grid and
# parameterization, so only the two optimizers' stopping rules separate the estimates
# (observed: 6e-6 on parameters, 1e-8 on the log-likelihood).
tolerances <- paste0(
  '      "parameter_tolerance": 1e-4,\n',
  '      "log_likelihood_tolerance": 1e-4\n')
json <- paste0(
  '{\n  "source": "', versions, '; tests/reference/r/bfi_gpcm.R",\n',
  '  "settings": "', settings, '",\n',
  '  "quadrature_points": ', opts$quadpts, ',\n',
  '  "theta_range": ', num(opts$theta_lim), ',\n',
  '  "cases": [\n',
  '    {\n',
  '      "name": "bfi-conscientiousness-gpcm",\n',
  '      "data": "bfi_conscientiousness.txt",\n',
  '      "model": "gpcm",\n',
  '      "call": "psychotools::gpcmodel(y, type = \\"GPCM\\", reltol = 1e-8, maxit = 20000, vcov = FALSE, quadpts = 61, theta_lim = c(-6, 6))",\n',
  '      "persons": ', nrow(y), ',\n',
  '      "slope": ', num(g$slope), ',\n',
  '      "intercepts": ', rows(g$intercepts), ',\n',
  '      "log_likelihood": ', sprintf("%.12g", as.numeric(logLik(gpcm))), ',\n',
  '      "log_likelihood_recomputed": ', sprintf("%.12g", ll_g), ',\n',
  '      "em_cycles": ', gpcm$iterations, ',\n',
  tolerances,
  '    },\n',
  '    {\n',
  '      "name": "bfi-conscientiousness-pcm",\n',
  '      "data": "bfi_conscientiousness.txt",\n',
  '      "model": "pcm",\n',
  '      "call": "psychotools::gpcmodel(y, type = \\"PCM\\", reltol = 1e-8, maxit = 20000, vcov = FALSE, quadpts = 61, theta_lim = c(-6, 6))",\n',
  '      "persons": ', nrow(y), ',\n',
  '      "common_slope": ', sprintf("%.12g", p$slope[1]), ',\n',
  '      "latent_sd": ', sprintf("%.12g", p$slope[1]), ',\n',
  '      "intercepts": ', rows(p$intercepts), ',\n',
  '      "log_likelihood": ', sprintf("%.12g", as.numeric(logLik(pcm))), ',\n',
  '      "log_likelihood_recomputed": ', sprintf("%.12g", ll_p_mirt), ',\n',
  '      "log_likelihood_latent_sd": ', sprintf("%.12g", ll_p), ',\n',
  '      "em_cycles": ', pcm$iterations, ',\n',
  tolerances,
  '    }\n',
  '  ]\n}\n')
writeLines(json, "tests/reference/bfi_gpcm.json")
