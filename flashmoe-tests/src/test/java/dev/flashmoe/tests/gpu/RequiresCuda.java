package dev.flashmoe.tests.gpu;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated tests only where the CUDA backend is usable; elsewhere they are skipped with the backend's reason
 * printed. With {@code -Dflashmoe.gpu.required=true} (the GPU check bundle sets it) an unusable backend fails instead.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(CudaCondition.class)
public @interface RequiresCuda {}
